import type { EnvironmentInfo } from '../../core/environment.ts';

/**
 * The concurrency scenario sends this many writes at once. On real AWS a function cannot run more instances
 * than the account's Lambda concurrency allows, and a throttled invocation reaches the client as a 5xx
 * from the HTTP API: on a new account with a low quota the scenario would fail for the account, not the
 * code. So on `aws` the writers are scaled to what the function can get.
 */
export const CONCURRENT_WRITERS = 100;

/** The part of Lambda's GetAccountSettings answer that limits concurrency (`AccountLimit`). */
export interface AccountConcurrency {
  /** The account's concurrency quota in the region (`ConcurrentExecutions`). */
  readonly limit: number;
  /** What functions without a reservation share (`UnreservedConcurrentExecutions`). */
  readonly unreserved: number;
}

/**
 * Share of the unreserved pool the scenario may fill: other functions of the account (and the inspector)
 * draw from the same pool while it runs.
 */
const SHARE_OF_UNRESERVED = 0.8;

/**
 * How many requests the API function can serve at once: its reservation when it has one (the reservation is
 * its own pool), otherwise most of the account's unreserved pool; and never more than the `$default` stage's
 * burst, above which API Gateway answers 429. The sentence says where the number comes from.
 */
export function concurrencyLimit(account: AccountConcurrency, reserved: number | undefined, burstLimit?: number): { limit: number; reason: string } {
  const quota = `account concurrency quota ${account.limit}, unreserved ${account.unreserved}`;
  const lambda =
    reserved !== undefined
      ? { limit: reserved, reason: `the function's reserved concurrency is ${reserved} (${quota})` }
      : (() => {
          const limit = Math.max(1, Math.floor(account.unreserved * SHARE_OF_UNRESERVED));
          return { limit, reason: `${quota}: ${SHARE_OF_UNRESERVED * 100}% of the unreserved pool is ${limit}` };
        })();
  if (burstLimit === undefined || burstLimit >= lambda.limit) return lambda;
  return { limit: burstLimit, reason: `${lambda.reason}; the $default stage allows bursts of ${burstLimit}` };
}

/** The writers the concurrency scenario sends at once on this target, and why when fewer than CONCURRENT_WRITERS. */
export function concurrentWriters(info: Pick<EnvironmentInfo, 'target' | 'concurrencyLimit'>): { writers: number; note?: string } {
  const limit = info.concurrencyLimit;
  if (limit === undefined || limit >= CONCURRENT_WRITERS) return { writers: CONCURRENT_WRITERS };
  return {
    writers: limit,
    note:
      info.target === 'aws'
        ? `scaled down from ${CONCURRENT_WRITERS} to ${limit}: the function can serve at most ${limit} requests at once on aws (Lambda GetAccountSettings and the stage's throttling)`
        : `scaled down from ${CONCURRENT_WRITERS} to ${limit} on ${info.target}: LocalStack starts a Lambda container per concurrent invocation (HARNESS_LOCALSTACK_CONCURRENCY, default 10)`,
  };
}
