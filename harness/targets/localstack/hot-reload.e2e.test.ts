import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Progress } from '../../core/progress.ts';
import { localstackE2e } from '../../test-support/localstack-e2e.ts';
import { type StartedRun, startTarget } from '../../launch/start.ts';
import { createScratchProject, type ScratchProject } from '../../dev/watch/scratch-project.ts';
import type { ProjectWatcher } from '../../dev/watch/watcher.ts';

// The real watch loop on LocalStack: hot reloading of an edited handler through the magic bucket, on a scratch
// copy of the app. Needs a Docker engine that can pull images and a LocalStack token with Base and Ultimate.
const { available, reason } = await localstackE2e(process.env);

describe.skipIf(!available)(`localstack watch mode end to end (${reason})`, () => {
  let scratch: ScratchProject;
  let run: StartedRun;
  let watcher: ProjectWatcher | undefined;
  beforeAll(async () => {
    scratch = createScratchProject();
    run = await startTarget('localstack', {
      env: { ...process.env, HARNESS_PROJECT_ROOT: scratch.root },
      progress: new Progress(),
      handleSignals: false,
      dev: { watch: true, log: (line) => console.info(line), onWatching: (w) => (watcher = w) },
    });
  }, 15 * 60_000);
  afterAll(async () => {
    await run?.teardown();
    scratch?.remove();
  }, 5 * 60_000);

  it('should serve an edited handler without a redeploy, at the same URL', async () => {
    const handler = path.join(scratch.root, 'handler', 'index.ts');
    writeFileSync(handler, readFileSync(handler, 'utf8').replace("'こんにちは!はじめてのVPC Lambda!!'", "'hot reloaded'"));
    await watcher!.idle();
    // LocalStack applies a change within about 700 ms (docs "Hot Reloading": "up to 700ms to detect code changes";
    // source: localstack/localstack-docs@01991ee3066614f93033ae4a032a822858b9fa59, src/content/docs/aws/tooling/lambda-tools/hot-reloading.mdx).
    const deadline = Date.now() + 10_000;
    let body = '';
    while (Date.now() < deadline && body !== JSON.stringify('hot reloaded')) {
      body = await (await fetch(`${run.info.apiUrl}/myHelloVPCLambda`)).text();
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(body).toBe(JSON.stringify('hot reloaded'));
  });
});

if (!available) {
  console.info(`localstack watch-mode end-to-end test ${reason}`);
}
