import { request } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { existsSync } from 'node:fs';
import { TARGET_NAMES, type TargetName } from './environment.ts';

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

/** Where the Docker engine listens: DOCKER_HOST, else the usual Linux and Docker Desktop sockets. */
export function dockerSocketCandidates(env: NodeJS.ProcessEnv): { socketPath?: string; host?: string; port?: number }[] {
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

/** True when a Docker engine answers `GET /_ping` within a second. */
export async function dockerEngineAnswers(env: NodeJS.ProcessEnv): Promise<boolean> {
  for (const target of dockerSocketCandidates(env)) {
    const ok = await new Promise<boolean>((resolve) => {
      const req = request({ ...target, path: '/_ping', method: 'GET', timeout: 1_000 }, (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      });
      req.on('timeout', () => req.destroy());
      req.on('error', () => resolve(false));
      req.end();
    });
    if (ok) return true;
  }
  return false;
}
