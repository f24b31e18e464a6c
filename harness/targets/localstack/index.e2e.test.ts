import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messagePath } from '../../../handler/message-ids.ts';
import { connect } from '../../launch/connect.ts';
import { Progress } from '../../core/progress.ts';
import { localstackE2e } from '../../test-support/localstack-e2e.ts';
import { type StartedRun, startTarget } from '../../launch/start.ts';

// The real thing: LocalStack in Docker, cdklocal deploy, the API answering and the function writing into the
// bridged folder. Needs a Docker engine that can pull images and a LocalStack token (Base plan; the EFS API is optional).
const { available, reason } = await localstackE2e(process.env);

describe.skipIf(!available)(`localstack target end to end (${reason})`, () => {
  let run: StartedRun;
  beforeAll(async () => {
    run = await startTarget('localstack', { progress: new Progress(), handleSignals: false });
  }, 15 * 60_000);
  afterAll(async () => {
    await run?.teardown();
  }, 5 * 60_000);

  it('should answer the greeting through the HTTP API built from the API id and the mapped port', async () => {
    const res = await fetch(`${run.info.apiUrl}/myHelloVPCLambda`);
    expect(res.status).toBe(200);
    expect(await res.json()).toBe('こんにちは!はじめてのVPC Lambda!!');
  });

  it('should store a posted message as a file the harness reads from the EFS bridge', async () => {
    const res = await fetch(`${run.info.apiUrl}/messages`, { method: 'POST', body: JSON.stringify({ text: 'e2e ✓' }) });
    expect(res.status).toBe(201);
    const { id, createdAt } = (await res.json()) as { id: string; createdAt: string };
    // Through the scenarios' own file view: a host folder, or the bridge volume with HARNESS_EFS_BRIDGE=volume.
    const stored = (await connect(run.info).files.read(messagePath(id))).toString('utf8');
    expect(stored).toBe(JSON.stringify({ id, text: 'e2e ✓', createdAt }));
  });
});

if (!available) {
  // One line in the output that says why, also when the reporter hides skipped suites.
  console.info(`localstack end-to-end test ${reason}`);
}
