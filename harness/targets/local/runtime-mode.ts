import { chooseNetwork, DockerEngine, type DockerNetworkMode, pinnedImage } from '../../core/docker-engine.ts';

/**
 * HARNESS_LOCAL_RUNTIME: how the local target runs the function.
 * - `process` (default): a Node process per execution environment with the harness's bootstrap (fast, no Docker).
 * - `container`: a container of the Lambda image per execution environment, running the real runtime client
 *   against the harness's Runtime API (needs a Docker engine and the image).
 */
export const LOCAL_RUNTIMES = ['process', 'container'] as const;
export type LocalRuntime = (typeof LOCAL_RUNTIMES)[number];

/**
 * The Lambda base image container mode runs unless HARNESS_LAMBDA_IMAGE names another: pinned to a dated tag in
 * the form AWS publishes them (`<major>.<yyyy>.<mm>.<dd>.<hh>`, gallery.ecr.aws/lambda/nodejs), never the floating
 * `24`. Not pulled on this project's machines (no registry there): `npm run images` builds the stand-in
 * harness-local/lambda-nodejs:24 and the Docker tier sets HARNESS_LAMBDA_IMAGE to it.
 */
export const DEFAULT_LAMBDA_IMAGE = 'public.ecr.aws/lambda/nodejs:24.2025.11.20.14';

export function localRuntime(env: NodeJS.ProcessEnv): LocalRuntime {
  const value = env.HARNESS_LOCAL_RUNTIME?.trim() || 'process';
  if ((LOCAL_RUNTIMES as readonly string[]).includes(value)) return value as LocalRuntime;
  throw new Error(`HARNESS_LOCAL_RUNTIME="${value}" is not one of ${LOCAL_RUNTIMES.join(', ')}: process (the default) runs the function in Node processes, container in the Lambda image.`);
}

/** HARNESS_LAMBDA_IMAGE or the pinned default; an untagged or `latest`/major-only tag is refused, as for LocalStack. */
export function lambdaImage(env: NodeJS.ProcessEnv): string {
  return pinnedImage('HARNESS_LAMBDA_IMAGE', env.HARNESS_LAMBDA_IMAGE, DEFAULT_LAMBDA_IMAGE, 'name a dated tag or a digest');
}

export interface ContainerRuntimeSetup {
  readonly engine: DockerEngine;
  readonly image: string;
  readonly network: DockerNetworkMode;
  readonly networkReason: string;
  /** Where the Runtime APIs listen so that the containers reach them. */
  readonly listenHost: string;
}

/**
 * What container mode needs before the first environment starts: an engine that answers, the image on it (pulled
 * when the engine can, with a clear error when it cannot), and the network. The host network on a Linux engine
 * (the only choice on one without a bridge network, and it gives containers the host's network: they reach the
 * Runtime API on 127.0.0.1); the default bridge network with host.docker.internal elsewhere (Docker Desktop).
 */
export async function prepareContainerRuntime(env: NodeJS.ProcessEnv, say: (line: string) => void): Promise<ContainerRuntimeSetup> {
  const image = lambdaImage(env);
  const engine = await DockerEngine.connect(env);
  if (!engine) {
    throw new Error(
      'HARNESS_LOCAL_RUNTIME=container needs a Docker engine, and none answers (DOCKER_HOST, /var/run/docker.sock): start Docker, or unset HARNESS_LOCAL_RUNTIME to run the function in Node processes.',
    );
  }
  if (!(await engine.hasImage(image))) {
    say(`pulling ${image} (container mode's Lambda image)`);
    const [name, tag] = splitImage(image);
    const pulled = await engine.call<string>('POST', `/images/create?fromImage=${encodeURIComponent(name)}&tag=${encodeURIComponent(tag)}`, undefined, 600_000);
    const failure = typeof pulled.value === 'string' ? /"error":"([^"]*)"/.exec(pulled.value)?.[1] : undefined;
    if (pulled.status !== 200 || failure || !(await engine.hasImage(image))) {
      throw new Error(
        `The Lambda image ${image} is not on the Docker engine and could not be pulled (${failure ?? `status ${pulled.status}`}). ` +
          'Where no registry is reachable, `npm run images` builds the stand-in harness-local/lambda-nodejs:24 (Node 24 and the real runtime client, built here): ' +
          'then set HARNESS_LAMBDA_IMAGE=harness-local/lambda-nodejs:24. Or load the image from a file (docker load -i), or unset HARNESS_LOCAL_RUNTIME.',
      );
    }
  }
  const names = await engine.networkNames();
  const choice = env.HARNESS_DOCKER_NETWORK?.trim()
    ? chooseNetwork(env, names)
    : process.platform === 'linux'
      ? { mode: 'host' as const, reason: 'a Linux engine: containers share the host network and reach the Runtime API on 127.0.0.1' }
      : chooseNetwork(env, names);
  const listenHost = choice.mode === 'host' ? '127.0.0.1' : await bridgeListenAddress(engine);
  return { engine, image, network: choice.mode, networkReason: choice.reason, listenHost };
}

/**
 * Where a container on the default bridge network reaches the harness: Docker Desktop forwards
 * host.docker.internal to the host's loopback; a Linux engine routes host-gateway to the bridge's gateway address,
 * so the Runtime API listens there (and nowhere else).
 */
async function bridgeListenAddress(engine: DockerEngine): Promise<string> {
  if (process.platform !== 'linux') return '127.0.0.1';
  const { status, value } = await engine.call<{ IPAM?: { Config?: { Gateway?: string }[] } }>('GET', '/networks/bridge');
  const gateway = status === 200 ? value.IPAM?.Config?.find((c) => c.Gateway)?.Gateway : undefined;
  if (!gateway) throw new Error('the Docker engine has no bridge network with a gateway: set HARNESS_DOCKER_NETWORK=host');
  return gateway;
}


function splitImage(image: string): [string, string] {
  if (image.includes('@')) return [image.split('@')[0]!, image.split('@')[1]!];
  const slash = image.lastIndexOf('/');
  const colon = image.indexOf(':', slash + 1);
  return colon < 0 ? [image, 'latest'] : [image.slice(0, colon), image.slice(colon + 1)];
}
