import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { expect, inject, it } from 'vitest';
import { DockerEngine, harnessLabels, RUN_LABEL } from '../core/docker-engine.ts';
import { createRunDir, PROJECT_ROOT } from '../core/run.ts';

const images = inject('dockerImages');

it('should remove what a killed run left on the engine, without Compose, and keep what a live run uses', async () => {
  const engine = (await DockerEngine.connect(process.env))!;
  // A run that was killed (no live process owns it) and one that is still going (this test's own process).
  const dead = `docker-tier-killed-${process.pid}`;
  const live = `docker-tier-live-${process.pid}`;
  createRunDir(live);
  const make = async (runId: string) => {
    const { value } = await engine.call<{ Id: string }>('POST', '/containers/create', { Image: images.node, Labels: harnessLabels(runId), HostConfig: { NetworkMode: 'none' } });
    await engine.call('POST', '/volumes/create', { Name: `harness-efs-${runId}`, Labels: harnessLabels(runId) });
    return value.Id;
  };
  await make(dead);
  const liveId = await make(live);
  try {
    const result = spawnSync(process.execPath, [path.join(PROJECT_ROOT, 'harness', 'cli', 'clean.ts')], { cwd: PROJECT_ROOT, encoding: 'utf8', timeout: 120_000 });
    expect(result.status, result.stderr).toBe(0);
    expect(await engine.containersLabelled(`${RUN_LABEL}=${dead}`)).toEqual([]);
    expect(await engine.volumesLabelled(`${RUN_LABEL}=${dead}`)).toEqual([]);
    expect((await engine.containersLabelled(`${RUN_LABEL}=${live}`)).map((c) => c.Id)).toEqual([liveId]);
    // No Compose v2 on this machine kind: it says so and what it did instead, rather than failing on an unknown flag.
    if (!/v?2\.\d/.test(spawnSync('docker', ['compose', 'version'], { encoding: 'utf8' }).stdout ?? '')) {
      expect(result.stdout).toContain('Docker Compose v2 is not installed');
      expect(result.stdout).toContain('removing what Compose made through the Docker Engine API instead');
    }
  } finally {
    await engine.removeContainer(liveId);
    await engine.removeVolume(`harness-efs-${live}`);
  }
});
