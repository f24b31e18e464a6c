import { describe, expect, it } from 'vitest';
import { CONCURRENT_WRITERS, concurrencyLimit, concurrentWriters } from './concurrency.ts';

describe('concurrencyLimit', () => {
  it("should give most of the account's unreserved pool when the function reserves nothing", () => {
    // AccountLimit.ConcurrentExecutions / UnreservedConcurrentExecutions of Lambda GetAccountSettings
    // (Source: https://docs.aws.amazon.com/lambda/latest/api/API_GetAccountSettings.html). A new account shows
    // 10 and 10 (captured in the Lambda console of one, https://github.com/awslabs/fhir-works-on-aws-deployment/issues/691);
    // 1,000 is the default quota (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html).
    expect(concurrencyLimit({ limit: 10, unreserved: 10 }, undefined)).toEqual({
      limit: 8,
      reason: 'account concurrency quota 10, unreserved 10: 80% of the unreserved pool is 8',
    });
    expect(concurrencyLimit({ limit: 1000, unreserved: 1000 }, undefined).limit).toBe(800);
    // No answer AWS gives (reservations must leave 100 unreserved, https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html,
    // so a quota of 10 stays all unreserved, "minimum value of [10]" in the issue above): it pins the floor of 1.
    expect(concurrencyLimit({ limit: 10, unreserved: 1 }, undefined).limit).toBe(1);
  });

  it("should give the function's reservation when it has one", () => {
    // Unreserved 900 of 1000: this function reserves 20, others 80 (Lambda requires only 100 left unreserved).
    expect(concurrencyLimit({ limit: 1000, unreserved: 900 }, 20)).toEqual({
      limit: 20,
      reason: "the function's reserved concurrency is 20 (account concurrency quota 1000, unreserved 900)",
    });
  });

  it("should not exceed the $default stage's burst, above which API Gateway answers 429", () => {
    // Source: https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-throttling.html (429 Too Many Requests).
    expect(concurrencyLimit({ limit: 1000, unreserved: 1000 }, undefined, 30)).toEqual({
      limit: 30,
      reason: 'account concurrency quota 1000, unreserved 1000: 80% of the unreserved pool is 800; the $default stage allows bursts of 30',
    });
    expect(concurrencyLimit({ limit: 10, unreserved: 10 }, undefined, 200).limit).toBe(8);
  });
});

describe('concurrentWriters', () => {
  it('should send 100 where nothing limits concurrency, and where the limit is higher', () => {
    expect(concurrentWriters({ target: 'local' })).toEqual({ writers: CONCURRENT_WRITERS });
    expect(concurrentWriters({ target: 'aws', concurrencyLimit: 800 })).toEqual({ writers: 100 });
  });

  it('should scale down to a lower limit on aws, saying why', () => {
    expect(concurrentWriters({ target: 'aws', concurrencyLimit: 8 })).toEqual({
      writers: 8,
      note: 'scaled down from 100 to 8: the function can serve at most 8 requests at once on aws (Lambda GetAccountSettings and the stage\'s throttling)',
    });
  });

  it('should cap the writers on LocalStack-backed targets, saying why', () => {
    expect(concurrentWriters({ target: 'localstack', concurrencyLimit: 10 })).toEqual({
      writers: 10,
      note: 'scaled down from 100 to 10 on localstack: LocalStack starts a Lambda container per concurrent invocation (HARNESS_LOCALSTACK_CONCURRENCY, default 10)',
    });
  });
});
