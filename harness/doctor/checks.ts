import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { CallerIdentity } from '../targets/aws/guard.ts';
import { localstackImage } from '../targets/localstack/container.ts';
import { classifyEmulator, type Emulator, emulatorProblem, probeEmulator } from '../targets/localstack/detect.ts';
import { PROJECT_ROOT } from '../core/run.ts';
import {
  DockerEngine,
  type DockerPing,
  type DockerSocketCandidate,
  dockerSocketCandidates,
  type FolderVisibility,
  guessPlacement,
  LOCAL_PROBES,
  pingDocker,
  type PlacementKind,
  engineSeesFolders,
} from '../core/docker-engine.ts';
import { endpointSettings, HOW_TO_START } from '../targets/endpoint/index.ts';

/**
 * What `npm run doctor` looks at, each check the one the targets themselves make, each bounded in time so
 * that a hanging Docker socket, emulator or credential provider cannot stall it. Nothing here starts anything.
 */

/** What harness/core/node-version.cjs exports (plain CommonJS, so that it runs on any old Node: no types of its own). */
export interface NodeCheck {
  parseVersion(text: string): [number, number, number];
  minimumOf(range: string): string;
  atLeast(version: string, minimum: string): boolean;
  requirements(): { minimum: string; recommended: string };
  checkNode(current: string, req: { minimum: string; recommended: string }): NodeFacts;
}

/** The Node check of `npm test`'s first line. */
export const nodeCheck = createRequire(import.meta.url)('../core/node-version.cjs') as NodeCheck;

export interface NodeFacts {
  readonly ok: boolean;
  readonly current: string;
  readonly minimum: string;
  readonly recommended: string;
  readonly message?: string;
}

/** Where the Docker engine runs as seen from here; it decides whether a folder of this machine can be bind-mounted. */
export type DockerPlacement = PlacementKind;

/** What the engine itself says (Engine API), when one answers. */
export interface EngineFacts {
  readonly networks: readonly string[];
  /** Whether the LocalStack image is on the engine (undefined: the name is invalid or the engine did not say). */
  readonly imagePresent?: boolean;
  /** Placement tried with a throw-away container of that image (only when it is there). */
  readonly seesFolders?: FolderVisibility;
}

export interface DockerFacts {
  readonly ok: boolean;
  readonly engineFacts?: EngineFacts;
  /** The socket or address that answered, or every one that was tried. */
  readonly tried: readonly { readonly where: string; readonly answer: string }[];
  readonly engine?: string;
  readonly placement: DockerPlacement;
  readonly placementWhy: string;
}

export interface EmulatorFacts {
  readonly endpoint: string;
  readonly emulator?: Emulator;
  /** Why it cannot host the pattern (with how to fix it), or undefined when it can. */
  readonly problem?: string;
}

export interface ComposeFacts {
  readonly ok: boolean;
  readonly version?: string;
  readonly detail: string;
}

export interface AwsFacts {
  /** The credentials the default chain found, or why none answered (never the credentials themselves). */
  readonly identity?: CallerIdentity;
  readonly identityError?: unknown;
  /** Where the identity was asked: the explicit region, else us-east-1 (the guard still refuses without one). */
  readonly askedIn: string;
}

export interface Facts {
  readonly node: NodeFacts;
  /** Dependencies from package.json that are not in node_modules (`npm ci` not run, or run with another lockfile). */
  readonly missingDependencies: readonly string[];
  readonly docker: DockerFacts;
  readonly tokenSet: boolean;
  readonly image: { readonly image?: string; readonly problem?: string };
  readonly emulator: EmulatorFacts;
  readonly compose: ComposeFacts;
  readonly aws: AwsFacts;
}

/** Everything outside this process, replaceable in tests. */
export interface DoctorDeps {
  readonly nodeVersion: string;
  readonly projectRoot: string;
  readonly exists: (file: string) => boolean;
  /** Whether a Docker daemon runs in this machine or container itself (Docker-in-Docker is local). */
  readonly daemonRunsHere: () => boolean;
  readonly pingDocker: (target: DockerSocketCandidate, timeoutMs: number) => Promise<DockerPing>;
  /** Networks, image presence and placement by behaviour, from the engine that answered. */
  readonly engineFacts: (env: NodeJS.ProcessEnv, image: string | undefined) => Promise<EngineFacts>;
  readonly probeEmulator: typeof probeEmulator;
  /** What `docker compose version` printed, or rejects with the reason. */
  readonly composeVersion: (timeoutMs: number) => Promise<string>;
  /** STS GetCallerIdentity through the default credential chain. */
  readonly callerIdentity: (region: string) => Promise<CallerIdentity>;
  /** Bound of each check. */
  readonly timeoutMs: number;
}

export const DEFAULT_DEPS: DoctorDeps = {
  nodeVersion: process.version,
  projectRoot: PROJECT_ROOT,
  exists: existsSync,
  daemonRunsHere: LOCAL_PROBES.daemonRunsHere,
  pingDocker,
  engineFacts: async (env, image) => {
    const engine = await DockerEngine.connect(env);
    if (!engine) return { networks: [] };
    const networks = await engine.networkNames();
    const imagePresent = image ? await engine.hasImage(image) : undefined;
    return { networks, ...(imagePresent !== undefined ? { imagePresent } : {}), ...(imagePresent && image ? { seesFolders: await engineSeesFolders(engine, image) } : {}) };
  },
  probeEmulator,
  composeVersion: (timeoutMs) =>
    new Promise((resolve, reject) => {
      // Not `--short`: without the plugin the docker CLI rejects that flag before saying that `compose` is unknown.
      execFile('docker', ['compose', 'version'], { timeout: timeoutMs, encoding: 'utf8' }, (error, stdout, stderr) => {
        if (!error) return resolve(stdout.trim());
        const code = (error as NodeJS.ErrnoException).code;
        reject(new Error(code === 'ENOENT' ? 'no docker CLI on PATH' : error.killed ? `no answer within ${timeoutMs / 1000} s` : stderr.trim().split('\n')[0] || error.message));
      });
    }),
  // Loaded on use: the SDK is the heaviest import here and only this check needs it.
  callerIdentity: async (region) => (await import('../targets/aws/api.ts')).awsApi(region).callerIdentity(),
  timeoutMs: 4_000,
};

/** Rejects with a TimeoutError once `ms` have passed; the caller reports it like any other failure. */
export async function within<T>(ms: number, what: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(`${what}: no answer within ${ms / 1000} s`), { name: 'TimeoutError' })), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The guess shared with the localstack target (core/docker-engine.ts); the doctor's tests call it by this name. */
export const dockerPlacement = guessPlacement;

async function checkDocker(env: NodeJS.ProcessEnv, deps: DoctorDeps, image: string | undefined): Promise<DockerFacts> {
  const guessed = dockerPlacement(env, deps);
  const candidates = dockerSocketCandidates(env);
  // Asked at once, so that two silent sockets cost one bound, not two; the first that answers (in order) wins.
  const pings = await Promise.all(
    candidates.map(async (target) => {
      const where = target.socketPath ?? `tcp://${target.host}:${target.port}`;
      const ping = await within(deps.timeoutMs, `GET /_ping on ${where}`, deps.pingDocker(target, deps.timeoutMs)).catch(
        (error: Error): DockerPing => ({ ok: false, detail: error.message }),
      );
      return { where, ping };
    }),
  );
  const answered = pings.find(({ ping }) => ping.ok);
  if (answered?.ping.ok) {
    const { ping } = answered;
    const engine = [ping.podman ? 'Podman' : (ping.server ?? 'an engine'), ping.apiVersion && `API ${ping.apiVersion}`].filter(Boolean).join(', ');
    const facts = await within(deps.timeoutMs * 2, 'Docker engine facts', deps.engineFacts(env, image)).catch(() => undefined);
    // Tried beats guessed: the same answer as the localstack target's (targets/localstack/bridge-mode.ts placementByBehaviour).
    const tried = facts?.seesFolders;
    const placement: DockerPlacement = tried ? (tried.visible ? 'local' : guessed.placement === 'remote' ? 'remote' : 'docker-outside-of-docker') : guessed.placement;
    return {
      ok: true,
      tried: [{ where: answered.where, answer: 'answers' }],
      engine,
      placement,
      placementWhy: tried ? tried.how : guessed.why,
      ...(facts ? { engineFacts: facts } : {}),
    };
  }
  const tried = pings.map(({ where, ping }) => ({ where, answer: ping.ok ? 'answers' : ping.detail }));
  if (candidates.length === 0) tried.push({ where: '/var/run/docker.sock or ~/.docker/run/docker.sock', answer: 'no such socket, and DOCKER_HOST is unset' });
  return { ok: false, tried, placement: guessed.placement, placementWhy: guessed.why };
}

async function checkEmulator(env: NodeJS.ProcessEnv, deps: DoctorDeps): Promise<EmulatorFacts> {
  let endpoint: string;
  try {
    ({ endpoint } = endpointSettings(env));
  } catch (error) {
    return { endpoint: env.HARNESS_ENDPOINT ?? '', problem: (error as Error).message };
  }
  // probeEmulator bounds each path itself; this outer bound is the backstop for anything else that could hang.
  const probed = await within(deps.timeoutMs + 1_000, `emulator at ${endpoint}`, deps.probeEmulator(endpoint, deps.timeoutMs)).catch((error: Error) => ({
    localstack: { error: error.message },
  }));
  const emulator = classifyEmulator(probed);
  const problem = emulatorProblem(emulator, endpoint, HOW_TO_START);
  return { endpoint, emulator, ...(problem ? { problem } : {}) };
}

async function checkCompose(deps: DoctorDeps): Promise<ComposeFacts> {
  try {
    const printed = await within(deps.timeoutMs, 'docker compose version', deps.composeVersion(deps.timeoutMs));
    // "Docker Compose version v2.29.7" (docker/compose cmd/compose/version.go; newer releases drop the "v").
    const version = /v?(\d+\.\d+\.\d+\S*)/.exec(printed)?.[1];
    if (!version) return { ok: false, detail: `\`docker compose version\` printed no version: ${printed.slice(0, 120)}` };
    return Number(version.split('.')[0]) >= 2
      ? { ok: true, version, detail: `Docker Compose ${version}` }
      : { ok: false, version, detail: `Docker Compose ${version} is older than v2` };
  } catch (error) {
    return { ok: false, detail: (error as Error).message };
  }
}

async function checkAwsIdentity(env: NodeJS.ProcessEnv, deps: DoctorDeps): Promise<AwsFacts> {
  const askedIn = env.AWS_REGION?.trim() || env.AWS_DEFAULT_REGION?.trim() || 'us-east-1';
  try {
    return { identity: await within(deps.timeoutMs, 'STS GetCallerIdentity', deps.callerIdentity(askedIn)), askedIn };
  } catch (identityError) {
    return { identityError, askedIn };
  }
}

function missingDependencies(deps: DoctorDeps): string[] {
  const pkg = JSON.parse(readFileSync(path.join(deps.projectRoot, 'package.json'), 'utf8')) as Record<string, Record<string, string> | undefined>;
  const names = [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.devDependencies ?? {})];
  return names.filter((name) => !deps.exists(path.join(deps.projectRoot, 'node_modules', name, 'package.json')));
}

/** Runs every check at once; resolves within about one bound whatever hangs. */
export async function gatherFacts(env: NodeJS.ProcessEnv, deps: DoctorDeps = DEFAULT_DEPS): Promise<Facts> {
  let image: Facts['image'];
  try {
    image = { image: localstackImage(env) };
  } catch (error) {
    image = { problem: (error as Error).message };
  }
  const [docker, emulator, compose, aws] = await Promise.all([checkDocker(env, deps, image.image), checkEmulator(env, deps), checkCompose(deps), checkAwsIdentity(env, deps)]);
  return {
    node: nodeCheck.checkNode(deps.nodeVersion, nodeCheck.requirements()),
    missingDependencies: missingDependencies(deps),
    docker,
    tokenSet: Boolean(env.LOCALSTACK_AUTH_TOKEN?.trim()),
    image,
    emulator,
    compose,
    aws,
  };
}
