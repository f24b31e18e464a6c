import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { awsStackName } from '../targets/aws/stack.ts';
import { createRunDir, RUN_PID_FILE, runIdFrom } from './run.ts';

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

describe('createRunDir', () => {
  it("should prune the oldest run folders beyond the limit, but never a live run's", () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'run-dir-test-'));
    try {
      const runs = path.join(root, '.harness', 'runs');
      // A live run whose id sorts first (HARNESS_RUN_ID need not be a time stamp), and two finished ones.
      createRunDir('0-live', root, 10);
      for (const id of ['1-done', '2-done']) {
        mkdirSync(path.join(runs, id), { recursive: true });
        writeFileSync(path.join(runs, id, RUN_PID_FILE), '2147483646'); // no such process
      }
      createRunDir('3-new', root, 2);
      expect(readdirSync(runs).sort()).toEqual(['0-live', '2-done', '3-new']);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
