import { describe, expect, it } from 'vitest';
import { cdkDeployCommand } from '../../model/cdk.ts';
import { makeRunId } from '../../core/run.ts';
import { awsStackName, EXPIRES_AT_TAG, expiryTime, HARNESS_TAG, harnessTags, MAX_STACK_NAME_LENGTH, parseTtl, RUN_ID_TAG } from './stack.ts';

const HOUR = 60 * 60_000;

describe('awsStackName', () => {
  it('should name the stack after the run id', () => {
    expect(awsStackName('20261125-033200-ab12')).toBe('harness-20261125-033200-ab12');
  });

  it("should keep every run id's function names within Lambda's 64 characters", () => {
    const name = awsStackName(makeRunId(new Date('2099-12-31T23:59:59Z')));
    expect(`${name}-myHelloVPCLambda`.length).toBeLessThanOrEqual(64);
    expect(`${'h'.repeat(MAX_STACK_NAME_LENGTH)}-myHelloVPCLambda`).toHaveLength(64);
  });

  it('should refuse a run id that makes the name too long, saying how long it may be', () => {
    const runId = 'x'.repeat(MAX_STACK_NAME_LENGTH);
    expect(() => awsStackName(runId)).toThrow(/at most 39 characters/);
    expect(awsStackName('x'.repeat(MAX_STACK_NAME_LENGTH - 'harness-'.length))).toHaveLength(MAX_STACK_NAME_LENGTH);
  });

  it('should refuse a run id with characters CloudFormation rejects in stack names', () => {
    expect(() => awsStackName('my_run')).toThrow(/letters, digits and hyphens/);
    expect(() => awsStackName('a.b')).toThrow(/CloudFormation rejects/);
  });
});

describe('parseTtl', () => {
  it('should read minutes, hours and days', () => {
    expect(parseTtl('90m')).toBe(1.5 * HOUR);
    expect(parseTtl('3h')).toBe(3 * HOUR);
    expect(parseTtl('1d')).toBe(24 * HOUR);
  });

  it('should default to 3h when unset or empty', () => {
    expect(parseTtl(undefined)).toBe(3 * HOUR);
    expect(parseTtl('')).toBe(3 * HOUR);
    expect(parseTtl('  ')).toBe(3 * HOUR);
  });

  it.each(['3', '3 hours', '-1h', '1.5h', 'h', '3H', '2w'])('should refuse "%s" with the accepted forms', (value) => {
    expect(() => parseTtl(value)).toThrow(`HARNESS_AWS_TTL="${value}" is not a duration: use minutes, hours or days like 90m, 3h or 1d`);
  });

  it('should refuse a TTL the sweep could cut a running test with, or one that hides a stack for weeks', () => {
    expect(() => parseTtl('30m')).toThrow(/out of range: use 1h to 7d/);
    expect(() => parseTtl('8d')).toThrow(/out of range/);
    expect(parseTtl('60m')).toBe(HOUR);
    expect(parseTtl('7d')).toBe(7 * 24 * HOUR);
  });
});

describe('harnessTags', () => {
  it('should tag the harness, the run id and the expiry as an ISO time', () => {
    const expiresAt = expiryTime(new Date('2026-11-25T03:32:00Z'), '3h');
    expect(harnessTags('20261125-033200-ab12', expiresAt)).toEqual({
      [HARNESS_TAG]: 'apigw-vpc-lambda-efs',
      [RUN_ID_TAG]: '20261125-033200-ab12',
      [EXPIRES_AT_TAG]: '2026-11-25T06:32:00.000Z',
    });
  });

  it('should be tags that the CDK CLI passes to CloudFormation', () => {
    const tags = harnessTags('20261125-033200-ab12', new Date('2026-11-25T06:32:00Z'));
    const cmd = cdkDeployCommand({ cli: 'cdk', assemblyDir: '/a', stackName: 'harness-x', outputsFile: '/o.json', tags, env: {} });
    expect(cmd.args).toContain('harness:expires-at=2026-11-25T06:32:00.000Z');
    expect(cmd.args).toContain('harness=apigw-vpc-lambda-efs');
  });
});
