import { readdirSync, readFileSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Progress } from '../../core/progress.ts';
import { makeRunId, PROJECT_ROOT } from '../../core/run.ts';
import { startTarget } from '../../launch/start.ts';

const runId = makeRunId();
afterAll(() => rm(path.join(PROJECT_ROOT, '.harness', 'runs', runId), { recursive: true, force: true }));

describe('local target', () => {
  it('should write every function log line to the run folder as it happens, and keep the file after teardown', async () => {
    const run = await startTarget('local', { progress: new Progress({ quiet: true }), runId, handleSignals: false });
    const logFile = path.join(run.info.runDir, 'logs', `${run.info.functionName}.log`);
    try {
      const requestIds: string[] = [];
      for (let i = 0; i < 3; i++) {
        const res = await fetch(`${run.info.apiUrl}/myHelloVPCLambda`);
        expect(res.status).toBe(200);
        await res.text();
        // Read while the target runs: a failure report copies the file at any moment. The line shapes are Lambda's
        // (Source: https://docs.aws.amazon.com/lambda/latest/dg/nodejs-logging.html, "Example log format").
        const lines = readFileSync(logFile, 'utf8').split('\n');
        const start = lines.filter((l) => l.startsWith('START RequestId: ')).at(-1)!;
        const requestId = start.split(' ')[2]!;
        expect(lines).toContain(`END RequestId: ${requestId}`);
        expect(lines.some((l) => l.startsWith(`REPORT RequestId: ${requestId}`))).toBe(true);
        requestIds.push(requestId);
      }
      expect(new Set(requestIds).size).toBe(3);
    } finally {
      await run.teardown();
    }
    expect(readFileSync(logFile, 'utf8').match(/^START RequestId: /gm)).toHaveLength(3);
  });

  it("should keep the function's log files within their bound however many requests come, the newest lines in the current file", async () => {
    // 4 KiB a file, 12 KiB in all; each greeting writes about 700 bytes (START, the handler's line, END, REPORT).
    const env = { ...process.env, HARNESS_LOG_ROTATE_MB: String(4096 / 1_048_576), HARNESS_LOG_KEEP_MB: String(12_288 / 1_048_576) };
    const bounded = makeRunId();
    const run = await startTarget('local', { progress: new Progress({ quiet: true }), runId: bounded, handleSignals: false, env });
    const logDir = path.join(run.info.runDir, 'logs');
    try {
      for (let i = 0; i < 60; i++) await (await fetch(`${run.info.apiUrl}/myHelloVPCLambda`)).text();
      const files = readdirSync(logDir).filter((f) => f.startsWith(run.info.functionName));
      const total = files.reduce((sum, f) => sum + statSync(path.join(logDir, f)).size, 0);
      // 60 requests wrote about 40 KiB: the bound held (a line may pass it by its own length).
      expect(files.length).toBeGreaterThan(1);
      expect(total).toBeLessThanOrEqual(12_288 + 1_024);
      for (const f of files) expect(statSync(path.join(logDir, f)).size).toBeLessThanOrEqual(4_096 + 1_024);
      // The newest request's lines are in the current file, complete.
      const current = readFileSync(path.join(logDir, `${run.info.functionName}.log`), 'utf8');
      const lastStart = current.split('\n').filter((l) => l.startsWith('START RequestId: ')).at(-1)!;
      expect(current).toContain(`END RequestId: ${lastStart.split(' ')[2]}`);
    } finally {
      await run.teardown();
      await rm(path.join(PROJECT_ROOT, '.harness', 'runs', bounded), { recursive: true, force: true });
    }
  });
});
