import type { TestProject } from 'vitest/node';
import { DockerEngine } from '../core/docker-engine.ts';
import { buildImages } from '../dev/images.ts';

/**
 * Global setup of the Docker tier (`npm run test:docker`): a real engine must answer (this tier is never skipped
 * silently: .ci/run decides whether it can run), the images are built from local files, and at the end every
 * container, volume and network on the engine is compared with what was there before: anything new fails the run,
 * whoever labelled it (Docker makes unlabelled volumes for binds, and a leak need not carry the harness's labels).
 */

declare module 'vitest' {
  export interface ProvidedContext {
    dockerImages: { standin: string; node: string; lambda: string };
  }
}

type Snapshot = Record<'containers' | 'volumes' | 'networks', Map<string, string>>;

async function snapshot(engine: DockerEngine): Promise<Snapshot> {
  // Ryuk, where it runs (an engine with a bridge network), lives until this process exits and then removes itself
  // and what it reaps: Testcontainers' own session container (label org.testcontainers.ryuk=true, testcontainers
  // 12.2.0 build/utils/labels.js), not something a test left.
  const containers = (await engine.call<{ Id: string; Names: string[]; Image: string; State: string; Labels: Record<string, string> }[]>('GET', '/containers/json?all=true')).value.filter(
    (c) => c.Labels['org.testcontainers.ryuk'] !== 'true',
  );
  const volumes = (await engine.call<{ Volumes: { Name: string }[] | null }>('GET', '/volumes')).value.Volumes ?? [];
  const networks = (await engine.call<{ Id: string; Name: string }[]>('GET', '/networks')).value;
  return {
    containers: new Map(containers.map((c) => [c.Id, `container ${c.Id.slice(0, 12)} ${c.Names.join(',')} (${c.Image}, ${c.State})`])),
    volumes: new Map(volumes.map((v) => [v.Name, `volume ${v.Name}`])),
    networks: new Map(networks.map((n) => [n.Id, `network ${n.Name}`])),
  };
}

export function leftovers(before: Snapshot, after: Snapshot): string[] {
  return (['containers', 'volumes', 'networks'] as const).flatMap((kind) => [...after[kind]].filter(([id]) => !before[kind].has(id)).map(([, text]) => text));
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const engine = await DockerEngine.connect(process.env);
  if (!engine) {
    throw new Error(
      'npm run test:docker needs a Docker engine and none answers (DOCKER_HOST, /var/run/docker.sock). Start one (.ci/docker-engine start ' +
        'does, as root on Linux), or run npm test, which needs none.',
    );
  }
  const [node, standin, lambda] = await buildImages(process.env, (line) => process.stdout.write(`images: ${line}\n`));
  project.provide('dockerImages', { node: node!.image, standin: standin!.image, lambda: lambda!.image });
  const before = await snapshot(engine);
  return async () => {
    const left = leftovers(before, await snapshot(engine));
    if (left.length > 0) {
      throw new Error(`The Docker tier left ${left.length} thing(s) on the engine that were not there before it started:\n  ${left.join('\n  ')}`);
    }
    process.stdout.write('Docker tier: no container, volume or network left behind\n');
  };
}
