import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { Cleanup } from '../../core/cleanup.ts';
import { DockerEngine, RUN_LABEL } from '../../core/docker-engine.ts';
import { Progress } from '../../core/progress.ts';
import { synthesize } from '../../model/assembly.ts';
import { fakeCdk } from '../../test-support/localstack-fixtures.ts';
import { freePort } from '../../test-support/ports.ts';
import { startLocalstack, testcontainersRuntime } from './index.ts';

/**
 * Ryuk left on (TESTCONTAINERS_RYUK_DISABLED=false, which the harness then respects) where its image cannot be
 * had: Testcontainers must pull testcontainers/ryuk before it creates LocalStack's container. A file of its own:
 * Testcontainers keeps its reaper per process. Nothing here is faked but the CDK CLI (fakeCdk, sources in
 * localstack-fixtures.ts). Source: testcontainers 12.2.0 build/reaper/reaper.js (getReaper, the
 * TESTCONTAINERS_RYUK_DISABLED === "true" check, the reaper kept per process). Runs on an engine without a bridge network (no registry reached
 * either, as in .ci/run); on GitHub's runners Ryuk can be pulled and runs, so there is nothing to fail.
 */

const images = inject('dockerImages');
const engine = (await DockerEngine.connect(process.env))!;
const noBridge = !(await engine.networkNames()).includes('bridge');
const root = mkdtempSync(path.join(os.tmpdir(), 'ryuk-docker-test-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe.runIf(noBridge)('localstack target with Ryuk enabled but its image unavailable (engine without a bridge network)', () => {
  it('should name Ryuk and TESTCONTAINERS_RYUK_DISABLED, and leave nothing', async () => {
    process.env.TESTCONTAINERS_RYUK_DISABLED = 'false';
    const port = await freePort();
    const runId = `docker-tier-ryuk-${process.pid}`;
    const ctx = {
      runId,
      runDir: mkdtempSync(path.join(root, 'run-')),
      env: { LOCALSTACK_AUTH_TOKEN: 'ls-DockerTier-Ryuk', HARNESS_LOCALSTACK_IMAGE: images.standin, HARNESS_LOCALSTACK_PORT: String(port) },
      progress: new Progress({ quiet: true }),
      cleanup: new Cleanup(),
      synth: (options: Parameters<typeof synthesize>[0]) => synthesize(options),
    };
    const error = await startLocalstack(ctx, { dockerAnswers: async () => true, runtime: testcontainersRuntime, deploy: { runCdk: fakeCdk().run } }).then(
      () => new Error('started'),
      (e: Error) => e,
    );
    expect(await ctx.cleanup.run()).toEqual([]);
    expect(error.message).toContain('Testcontainers could not start Ryuk');
    expect(error.message).toContain('TESTCONTAINERS_RYUK_DISABLED=true');
    expect(await engine.containersLabelled(`${RUN_LABEL}=${runId}`)).toEqual([]);
  });
});
