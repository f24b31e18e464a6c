import { describe, expect, it } from 'vitest';
import { decideEfs, efsSetting } from './efs-mode.ts';

// What DescribeFileSystems answers on a plan without EFS (aws/catalog_exceptions.py, localstack/localstack@8b9a79f0).
const REFUSED = { available: false as const, detail: 'DescribeFileSystems answered HTTP 501 {"__type":"InternalFailure","message":"Sorry, the efs service is not included within your LocalStack license…"}' };

describe('efsSetting', () => {
  it('should default to auto and refuse unknown values', () => {
    expect(efsSetting({})).toBe('auto');
    expect(efsSetting({ HARNESS_LOCALSTACK_EFS: ' bridge-only ' })).toBe('bridge-only');
    expect(() => efsSetting({ HARNESS_LOCALSTACK_EFS: 'ultimate' })).toThrow('HARNESS_LOCALSTACK_EFS="ultimate" is not one of auto, api, bridge-only');
  });
});

describe('decideEfs', () => {
  it('should follow the EFS API in auto', () => {
    expect(decideEfs('auto', { available: true })).toEqual({ mode: 'api', reason: 'the EFS API answers (HARNESS_LOCALSTACK_EFS=auto)' });
    expect(decideEfs('auto', REFUSED)).toEqual({ mode: 'bridge-only', reason: `the EFS API is not available (${REFUSED.detail})` });
  });

  it('should refuse api without the EFS API, saying Base is enough', () => {
    expect(() => decideEfs('api', REFUSED)).toThrow(/Ultimate plan.*the Base plan is enough: unset HARNESS_LOCALSTACK_EFS \(auto\) or set it to bridge-only/);
  });

  it('should take bridge-only without asking', () => {
    expect(decideEfs('bridge-only', undefined)).toEqual({ mode: 'bridge-only', reason: 'HARNESS_LOCALSTACK_EFS=bridge-only' });
  });
});
