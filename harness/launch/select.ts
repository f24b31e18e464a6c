import { request } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { existsSync } from 'node:fs';
import { TARGET_NAMES, type TargetName } from '../core/environment.ts';

export interface TargetChoice {
  readonly target: TargetName;
  /** Why this target: printed at the start of every run. */
  readonly reason: string;
}

/**
 * `HARNESS_TARGET` names the target; a named target never falls back (it fails with what is missing).
 * Unset: `localstack` when a Docker engine answers and `LOCALSTACK_AUTH_TOKEN` is set, otherwise `local`.
 */
export async function selectTarget(
  env: NodeJS.ProcessEnv,
  dockerAnswers: () => Promise<boolean> = () => dockerEngineAnswers(env),
): Promise<TargetChoice> {
  const named = env.HARNESS_TARGET?.trim();
  if (named) {
    if (!(TARGET_NAMES as readonly string[]).includes(named)) {
      throw new Error(`HARNESS_TARGET="${named}" is not a target. Valid targets: ${TARGET_NAMES.join(', ')}.`);
    }
    return { target: named as TargetName, reason: `HARNESS_TARGET=${named}` };
  }
  const hasToken = Boolean(env.LOCALSTACK_AUTH_TOKEN?.trim());
  if (!hasToken) return { target: 'local', reason: 'HARNESS_TARGET is unset and LOCALSTACK_AUTH_TOKEN is not set' };
  if (!(await dockerAnswers())) return { target: 'local', reason: 'HARNESS_TARGET is unset and no Docker engine answers' };
  return { target: 'localstack', reason: 'HARNESS_TARGET is unset, a Docker engine answers and LOCALSTACK_AUTH_TOKEN is set' };
}

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
  for (const target of dockerSocketCandidates(env)) {
    if ((await pingDocker(target)).ok) return true;
  }
  return false;
}
