import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import os from 'node:os';
import path from 'node:path';

/**
 * The Docker engine as the harness sees it, through the Engine API on its socket (no client library: the checks
 * before a start, the doctor and clean-up must not load Testcontainers). Paths and answers follow the Docker
 * Engine API reference (docs.docker.com/reference/api/engine/version/v1.41/, the version this machine's
 * dockerd 20.10 serves; later versions keep these paths).
 */

export type DockerSocketCandidate = { readonly socketPath?: string; readonly host?: string; readonly port?: number };

/** Where the Docker engine listens: DOCKER_HOST, else the usual Linux and Docker Desktop sockets. */
export function dockerSocketCandidates(env: NodeJS.ProcessEnv): DockerSocketCandidate[] {
  const dockerHost = env.DOCKER_HOST?.trim();
  if (dockerHost?.startsWith('unix://')) return [{ socketPath: dockerHost.slice('unix://'.length) }];
  if (dockerHost?.startsWith('tcp://')) {
    const url = new URL(dockerHost.replace(/^tcp:/, 'http:'));
    return [{ host: url.hostname, port: Number(url.port || 2375) }];
  }
  return ['/var/run/docker.sock', path.join(os.homedir(), '.docker', 'run', 'docker.sock')]
    .filter((p) => existsSync(p))
    .map((socketPath) => ({ socketPath }));
}

/** What `GET /_ping` told about the engine (Docker Engine API: 200 "OK"; moby's version middleware adds
 * `Server: Docker/<version> (<os>)` and `Api-Version`; Podman's compatible API adds `Libpod-Api-Version`). */
export type DockerPing =
  | { readonly ok: true; readonly server?: string; readonly apiVersion?: string; readonly podman: boolean }
  | { readonly ok: false; readonly detail: string };

/** One `GET /_ping`, bounded as a whole (connect included): a hanging socket cannot stall the caller. */
export function pingDocker(target: DockerSocketCandidate, timeoutMs = 1_000): Promise<DockerPing> {
  return new Promise((resolve) => {
    const req = request({ ...target, path: '/_ping', method: 'GET', signal: AbortSignal.timeout(timeoutMs) }, (res) => {
      res.resume();
      const header = (name: string) => (typeof res.headers[name] === 'string' ? (res.headers[name] as string) : undefined);
      if (res.statusCode !== 200) return resolve({ ok: false, detail: `GET /_ping answered HTTP ${res.statusCode}` });
      const server = header('server');
      const apiVersion = header('api-version');
      resolve({ ok: true, ...(server ? { server } : {}), ...(apiVersion ? { apiVersion } : {}), podman: header('libpod-api-version') !== undefined });
    });
    req.on('error', (error: NodeJS.ErrnoException) => {
      resolve({ ok: false, detail: error.name === 'AbortError' ? `no answer within ${timeoutMs / 1000} s` : (error.code ?? error.message) });
    });
    req.end();
  });
}

/** True when a Docker engine answers `GET /_ping` within a second. */
export async function dockerEngineAnswers(env: NodeJS.ProcessEnv): Promise<boolean> {
  return (await findEngine(env)) !== undefined;
}

async function findEngine(env: NodeJS.ProcessEnv): Promise<DockerSocketCandidate | undefined> {
  for (const target of dockerSocketCandidates(env)) {
    if ((await pingDocker(target)).ok) return target;
  }
  return undefined;
}

/** Labels on everything the harness creates in Docker, so that clean-up finds it without Ryuk. */
export const HARNESS_LABEL = 'dev.harness.project';
export const HARNESS_LABEL_VALUE = 'apigw-vpc-lambda-efs';
export const RUN_LABEL = 'dev.harness.run-id';

export const harnessLabels = (runId: string): Record<string, string> => ({ [HARNESS_LABEL]: HARNESS_LABEL_VALUE, [RUN_LABEL]: runId });

interface ContainerSummary {
  readonly Id: string;
  readonly Names: readonly string[];
  readonly Image: string;
  readonly State: string;
  readonly Labels: Readonly<Record<string, string>>;
}

/** A few Engine API calls on one socket. Every call is bounded; an error names the call and the answer. */
export class DockerEngine {
  readonly target: DockerSocketCandidate;

  private constructor(target: DockerSocketCandidate) {
    this.target = target;
  }

  /** The engine that answers, or undefined. */
  static async connect(env: NodeJS.ProcessEnv): Promise<DockerEngine | undefined> {
    const target = await findEngine(env);
    return target ? new DockerEngine(target) : undefined;
  }

  async call<T>(method: string, apiPath: string, body?: unknown, timeoutMs = 30_000): Promise<{ status: number; value: T }> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = request(
        {
          ...this.target,
          path: apiPath,
          method,
          signal: AbortSignal.timeout(timeoutMs),
          headers: payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {},
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let value: unknown = text;
            try {
              value = text ? JSON.parse(text) : undefined;
            } catch {
              // not JSON (e.g. `OK`): kept as text
            }
            resolve({ status: res.statusCode ?? 0, value: value as T });
          });
        },
      );
      req.on('error', (error) => reject(new Error(`Docker Engine API ${method} ${apiPath}: ${error.message}`)));
      req.end(payload);
    });
  }

  private async ok<T>(method: string, apiPath: string, body?: unknown, timeoutMs?: number): Promise<T> {
    const { status, value } = await this.call<T>(method, apiPath, body, timeoutMs);
    if (status >= 300) {
      const message = (value as { message?: string } | undefined)?.message ?? String(value);
      throw new Error(`Docker Engine API ${method} ${apiPath} answered ${status}: ${message}`);
    }
    return value;
  }

  /** Network names (`GET /networks`): an engine run with `--bridge=none` has only `host` and `none`. */
  async networkNames(): Promise<string[]> {
    return (await this.ok<{ Name: string }[]>('GET', '/networks')).map((n) => n.Name);
  }

  /** Whether the image is on the engine (`GET /images/{name}/json`: 404 when it is not). */
  async hasImage(image: string): Promise<boolean> {
    const { status } = await this.call('GET', `/images/${encodeURIComponent(image)}/json`);
    if (status === 200) return true;
    if (status === 404) return false;
    throw new Error(`Docker Engine API GET /images/${image}/json answered ${status}`);
  }

  /** Image labels (`Config.Labels`), undefined when the image is absent. */
  async imageLabels(image: string): Promise<Record<string, string> | undefined> {
    const { status, value } = await this.call<{ Config?: { Labels?: Record<string, string> | null } }>('GET', `/images/${encodeURIComponent(image)}/json`);
    return status === 200 ? (value.Config?.Labels ?? {}) : undefined;
  }

  /** Containers, running or not, that carry the label (`key=value` or just `key`). */
  async containersLabelled(label: string): Promise<ContainerSummary[]> {
    const filters = encodeURIComponent(JSON.stringify({ label: [label] }));
    return this.ok<ContainerSummary[]>('GET', `/containers/json?all=true&filters=${filters}`);
  }

  /** Stops with a grace period (SIGTERM, then SIGKILL after `graceSeconds`), then removes with its anonymous volumes. */
  async removeContainer(id: string, graceSeconds = 0): Promise<void> {
    if (graceSeconds > 0) {
      const { status } = await this.call('POST', `/containers/${id}/stop?t=${graceSeconds}`, undefined, (graceSeconds + 30) * 1000);
      if (status !== 204 && status !== 304 && status !== 404) throw new Error(`Docker Engine API POST /containers/${id}/stop answered ${status}`);
    }
    const { status, value } = await this.call<{ message?: string }>('DELETE', `/containers/${id}?force=true&v=true`);
    if (status !== 204 && status !== 404) throw new Error(`Docker Engine API DELETE /containers/${id} answered ${status}: ${value?.message ?? ''}`);
  }

  async volumesLabelled(label: string): Promise<{ readonly Name: string; readonly Labels: Readonly<Record<string, string>> }[]> {
    const filters = encodeURIComponent(JSON.stringify({ label: [label] }));
    const volumes = (await this.ok<{ Volumes: { Name: string; Labels: Record<string, string> | null }[] | null }>('GET', `/volumes?filters=${filters}`)).Volumes ?? [];
    return volumes.map((v) => ({ Name: v.Name, Labels: v.Labels ?? {} }));
  }

  async removeVolume(name: string): Promise<void> {
    const { status, value } = await this.call<{ message?: string }>('DELETE', `/volumes/${encodeURIComponent(name)}?force=true`);
    if (status !== 204 && status !== 404) throw new Error(`Docker Engine API DELETE /volumes/${name} answered ${status}: ${value?.message ?? ''}`);
  }

  /**
   * Runs a command to its end in a new container and removes it; returns its exit code. For short probes only
   * (no network, bounded by `timeoutMs`).
   */
  async runToEnd(options: {
    image: string;
    cmd: readonly string[];
    /** Engine API `HostConfig.Mounts`: unlike `Binds`, a bind whose source is missing fails instead of being created. */
    mounts?: readonly { Type: 'bind' | 'volume'; Source: string; Target: string; ReadOnly?: boolean }[];
    user?: string;
    labels?: Record<string, string>;
    timeoutMs?: number;
  }): Promise<number> {
    const created = await this.ok<{ Id: string }>('POST', '/containers/create', {
      Image: options.image,
      Entrypoint: [options.cmd[0]],
      Cmd: options.cmd.slice(1),
      ...(options.user ? { User: options.user } : {}),
      Labels: options.labels ?? {},
      HostConfig: { Mounts: options.mounts ?? [], NetworkMode: 'none' },
    });
    try {
      await this.ok('POST', `/containers/${created.Id}/start`);
      const waited = await this.ok<{ StatusCode: number }>('POST', `/containers/${created.Id}/wait`, undefined, options.timeoutMs ?? 30_000);
      return waited.StatusCode;
    } finally {
      await this.removeContainer(created.Id);
    }
  }
}

/**
 * The image a setting names, or `fallback`; refused when it floats (no tag, or `latest`): `advice` says what to
 * name instead. A digest pins it too.
 */
export function pinnedImage(variable: string, value: string | undefined, fallback: string, advice: string): string {
  const image = value?.trim() || fallback;
  const tag = image.includes('@') ? 'digest' : image.slice(image.lastIndexOf('/') + 1).split(':')[1];
  if (!tag || tag === 'latest') throw new Error(`${variable}="${image}" has no pinned tag: ${advice}, e.g. ${fallback}.`);
  return image;
}

/** HARNESS_DOCKER_NETWORK: `host`, `bridge` (a user-defined bridge network per run), or unset: chosen by the engine. */
export const DOCKER_NETWORK_MODES = ['host', 'bridge'] as const;
export type DockerNetworkMode = (typeof DOCKER_NETWORK_MODES)[number];

export interface NetworkChoice {
  readonly mode: DockerNetworkMode;
  readonly reason: string;
}

/**
 * The network LocalStack and its functions use. An engine without the `bridge` network (dockerd
 * `--bridge=none`, e.g. where there is no iptables) can publish no port and create no working bridge network:
 * only the host network works there. Elsewhere a bridge network per run keeps the containers apart from the host.
 */
export function chooseNetwork(env: NodeJS.ProcessEnv, networkNames: readonly string[]): NetworkChoice {
  const value = env.HARNESS_DOCKER_NETWORK?.trim();
  if (value) {
    if (!(DOCKER_NETWORK_MODES as readonly string[]).includes(value)) {
      throw new Error(`HARNESS_DOCKER_NETWORK="${value}" is not one of ${DOCKER_NETWORK_MODES.join(', ')}.`);
    }
    if (value === 'bridge' && !networkNames.includes('bridge')) {
      throw new Error(
        `HARNESS_DOCKER_NETWORK=bridge, but this Docker engine has no bridge network (its networks: ${networkNames.join(', ')}; dockerd runs with ` +
          '--bridge=none): it can publish no port. Unset HARNESS_DOCKER_NETWORK (or set host) to use the host network.',
      );
    }
    return { mode: value as DockerNetworkMode, reason: `HARNESS_DOCKER_NETWORK=${value}` };
  }
  if (!networkNames.includes('bridge')) {
    return { mode: 'host', reason: `the Docker engine has no bridge network (its networks: ${networkNames.join(', ')}), so only the host network works` };
  }
  return { mode: 'bridge', reason: 'the Docker engine has a bridge network' };
}

export type FolderVisibility = { readonly visible: boolean; readonly how: string };

/**
 * Placement by behaviour: can the engine see this process's folder at the same path? A throw-away container of
 * `image` (which must have `sh` and `test`) bind-mounts a new folder holding a marker file and looks for it. True
 * on a local engine (also when this process runs in a container whose folders are the host's), false for
 * Docker-outside-of-Docker and remote engines, where the daemon resolves the path on its own machine.
 */
export async function engineSeesFolders(engine: DockerEngine, image: string, parent = os.tmpdir()): Promise<FolderVisibility> {
  const dir = mkdtempSync(path.join(parent, 'harness-placement-'));
  try {
    writeFileSync(path.join(dir, 'marker'), 'harness');
    let code: number;
    try {
      code = await engine.runToEnd({ image, cmd: ['sh', '-c', 'test -f /probe/marker'], mounts: [{ Type: 'bind', Source: dir, Target: '/probe', ReadOnly: true }] });
    } catch (error) {
      // The daemon refuses a bind whose source it cannot find ("bind source path does not exist").
      if (!/does not exist/.test((error as Error).message)) throw error;
      code = 1;
    }
    return code === 0
      ? { visible: true, how: `a container of ${image} saw a file the harness wrote in ${dir}` }
      : { visible: false, how: `a container of ${image} did not see ${dir}: the engine resolves paths on another machine or in another container` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Where the Docker engine runs as seen from here; it decides whether a folder of this machine can be bind-mounted. */
export type PlacementKind = 'local' | 'remote' | 'docker-outside-of-docker';

export interface PlacementGuess {
  readonly placement: PlacementKind;
  readonly why: string;
  /** The container marker found, for Docker-outside-of-Docker. */
  readonly marker?: string;
}

/** Files a container runtime puts into every container: Docker's /.dockerenv (moby/moby daemon/initlayer/setup_unix.go,
 * SetupInitLayer) and Podman's /run/.containerenv (podman-run(1), "Podman will create /run/.containerenv"). */
export const CONTAINER_MARKERS = ['/.dockerenv', '/run/.containerenv'] as const;

export interface PlacementProbes {
  readonly exists: (file: string) => boolean;
  /** Whether a Docker daemon runs in this machine or container itself (Docker-in-Docker is local). */
  readonly daemonRunsHere: () => boolean;
}

export const LOCAL_PROBES: PlacementProbes = {
  exists: existsSync,
  daemonRunsHere: () => {
    const comm = (pid: string) => {
      try {
        return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
      } catch {
        return ''; // the process ended while we looked
      }
    };
    // No /proc (macOS, Windows): no container markers there either, so the answer does not matter.
    return existsSync('/proc') && readdirSync('/proc').some((pid) => /^\d+$/.test(pid) && comm(pid) === 'dockerd');
  },
};

/**
 * The guess, where placement cannot be tried (engineSeesFolders needs an image on the engine): local, remote
 * (DOCKER_HOST names another machine) or Docker-outside-of-Docker (this process runs in a container and reaches
 * the host's engine through a socket). The doctor and the localstack target's bridge choice share it.
 */
export function guessPlacement(env: NodeJS.ProcessEnv, { exists, daemonRunsHere }: PlacementProbes = LOCAL_PROBES): PlacementGuess {
  const host = env.DOCKER_HOST?.trim();
  if (host && !host.startsWith('unix://')) {
    const hostname = /^[a-z]+:\/\/\[?([^\]/:]+)/.exec(host)?.[1] ?? '';
    if (!['localhost', '127.0.0.1', '::1'].includes(hostname)) {
      return { placement: 'remote', why: `DOCKER_HOST=${host} names another machine` };
    }
  }
  const marker = CONTAINER_MARKERS.find((file) => exists(file));
  if (marker && daemonRunsHere()) return { placement: 'local', why: `dockerd runs in this container (${marker} exists): Docker-in-Docker` };
  if (marker) {
    return {
      placement: 'docker-outside-of-docker',
      why: `this process runs in a container (${marker} exists), so the engine it reaches runs outside it`,
      marker,
    };
  }
  return { placement: 'local', why: 'the engine runs on this machine' };
}
