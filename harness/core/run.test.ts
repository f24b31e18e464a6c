import { describe, expect, it } from 'vitest';
import { awsStackName } from '../targets/aws/stack.ts';
import { runIdFrom } from './run.ts';

describe('runIdFrom', () => {
  it('should make a new time-sortable id when HARNESS_RUN_ID is unset or empty', () => {
    const now = new Date('2026-11-25T03:32:00Z');
    expect(runIdFrom({}, now)).toMatch(/^20261125-033200-[0-9a-f]{4}$/);
    expect(runIdFrom({ HARNESS_RUN_ID: ' ' }, now)).toMatch(/^20261125-033200-/);
  });

  it("should take CI's HARNESS_RUN_ID, which then names the AWS stack a cleanup step deletes", () => {
    const runId = runIdFrom({ HARNESS_RUN_ID: 'gh-12345678901-2' });
    expect(runId).toBe('gh-12345678901-2');
    expect(awsStackName(runId)).toBe('harness-gh-12345678901-2');
  });

  it('should refuse an id that cannot name a folder and a stack, saying what fits', () => {
    for (const bad of ['../x', 'gh_1', '-x', 'x'.repeat(40)]) {
      expect(() => runIdFrom({ HARNESS_RUN_ID: bad })).toThrow(`HARNESS_RUN_ID="${bad}" is not a usable run id: use 1 to 39 letters, digits and hyphens`);
    }
    // The longest accepted id still makes a stack name whose function names fit Lambda's 64 characters.
    expect(() => awsStackName(runIdFrom({ HARNESS_RUN_ID: 'x'.repeat(39) }))).not.toThrow();
  });
});
