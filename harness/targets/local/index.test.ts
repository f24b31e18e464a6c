import { readFileSync } from 'node:fs';
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
});
