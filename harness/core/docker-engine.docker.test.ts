import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { DockerEngine, engineSeesFolders } from './docker-engine.ts';
import { PROJECT_ROOT } from './run.ts';

const images = inject('dockerImages');
const engine = (await DockerEngine.connect(process.env))!;
const root = mkdtempSync(path.join(os.tmpdir(), 'placement-docker-test-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Runs `script` with Node in a container of the node image, the project read-only at /project; returns its output. */
async function inContainer(script: string, withSocket: boolean): Promise<{ code: number; output: string }> {
  const out = mkdtempSync(path.join(root, 'out-'));
  const code = await engine.runToEnd({
    image: images.node,
    cmd: ['sh', '-c', `node --input-type=module -e '${script}' > /out/result 2>&1`],
    mounts: [
      { Type: 'bind', Source: PROJECT_ROOT, Target: '/project', ReadOnly: true },
      { Type: 'bind', Source: out, Target: '/out' },
      ...(withSocket ? [{ Type: 'bind' as const, Source: '/var/run/docker.sock', Target: '/var/run/docker.sock' }] : []),
    ],
  });
  return { code, output: readFileSync(path.join(out, 'result'), 'utf8') };
}

describe('placement by behaviour', () => {
  it('should see this process\'s folders from the engine it runs beside', async () => {
    expect(await engineSeesFolders(engine, images.node)).toMatchObject({ visible: true });
  });

  it('should not see them from inside a container that reaches the host engine through its socket (Docker-outside-of-Docker)', async () => {
    // The devcontainer case: the harness in a container, the engine outside it. Only the volume bridge can work there.
    const script =
      'import { DockerEngine, engineSeesFolders } from "/project/harness/core/docker-engine.ts"; ' +
      `const engine = await DockerEngine.connect({}); console.log(JSON.stringify(await engineSeesFolders(engine, "${images.node}")));`;
    const { code, output } = await inContainer(script, true);
    expect(code, output).toBe(0);
    const seen = JSON.parse(output.trim().split('\n').at(-1)!) as { visible: boolean; how: string };
    expect(seen.visible).toBe(false);
    expect(seen.how).toContain('did not see');
  });
});
