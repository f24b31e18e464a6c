import { checkAwsAccess, explainStsFailure, explicitRegion } from '../targets/aws/guard.ts';
import type { TargetName } from '../core/environment.ts';
import type { Emulator } from '../targets/localstack/detect.ts';
import { requireAuthToken } from '../targets/localstack/container.ts';
import { redact } from '../core/redact.ts';
import { selectTarget } from '../launch/select.ts';
import type { EngineFacts, Facts } from './checks.ts';

/** One row of the doctor's table. */
export interface TargetVerdict {
  readonly target: TargetName;
  readonly ready: boolean;
  /** Why it is not ready, in words that say what to fix; for a ready target what it found. */
  readonly reason: string;
  /** Something to know before running a ready target. */
  readonly warning?: string;
  /** The command to run (ready) or the next step (not ready); absent when the reason already says it. */
  readonly next?: string;
}

const DOCKER_START = 'start Docker (Docker Desktop, or `sudo systemctl start docker`) and check `docker info`, or set DOCKER_HOST to where it listens';

/** What every target needs first: a Node new enough and the dependencies installed. */
function basics(facts: Facts): Omit<TargetVerdict, 'target'> | undefined {
  if (!facts.node.ok) {
    const [first = '', ...rest] = (facts.node.message ?? '').split('\n');
    return { ready: false, reason: first, next: rest.map((line) => line.trim()).join(' ') };
  }
  if (facts.missingDependencies.length > 0) {
    const shown = facts.missingDependencies.slice(0, 3).join(', ');
    const more = facts.missingDependencies.length > 3 ? ` and ${facts.missingDependencies.length - 3} more` : '';
    return { ready: false, reason: `dependencies are not installed (${shown}${more} missing from node_modules)`, next: 'npm ci' };
  }
  return undefined;
}

function local(facts: Facts): TargetVerdict {
  return {
    target: 'local',
    ...(basics(facts) ?? {
      ready: true,
      reason: `Node ${facts.node.current}, dependencies installed; needs no Docker, network or account`,
      next: 'npm test (unit tests + every scenario on local), or HARNESS_TARGET=local npm run scenarios',
    }),
  };
}

function localstack(facts: Facts, env: NodeJS.ProcessEnv): TargetVerdict {
  const target = 'localstack';
  const blocked = basics(facts);
  if (blocked) return { target, ...blocked };
  if (!facts.tokenSet) {
    let reason = '';
    try {
      requireAuthToken(env);
    } catch (error) {
      reason = (error as Error).message;
    }
    return { target, ready: false, reason };
  }
  if (facts.image.problem) return { target, ready: false, reason: facts.image.problem };
  if (!facts.docker.ok) return { target, ready: false, reason: `no Docker engine answers (${triedText(facts)})`, next: DOCKER_START };
  const { placement, placementWhy } = facts.docker;
  // The bind-mount source of the EFS bridge is resolved by the engine on its own host (DESIGN.md, LocalStack facts).
  const warning =
    placement !== 'local' && env.HARNESS_EFS_BRIDGE?.trim() !== 'volume'
      ? `Docker is ${placement === 'remote' ? 'remote' : 'outside this container (Docker-outside-of-Docker)'}: ${placementWhy}. ` +
        'The EFS bridge bind-mounts a folder of this machine into every function container, and the engine resolves that ' +
        'path on its own host, where it is another (empty) folder. Set HARNESS_EFS_BRIDGE=volume (a Docker volume the ' +
        'harness reads through a container), or run on the Docker host.'
      : undefined;
  return {
    target,
    ready: true,
    reason: `token set, ${facts.docker.engine ?? 'a Docker engine'} answers at ${facts.docker.tried[0]?.where}, image ${facts.image.image}`,
    ...(warning ? { warning } : {}),
    next: 'HARNESS_TARGET=localstack npm run scenarios (or npm run up -- --target localstack)',
  };
}

function endpoint(facts: Facts): TargetVerdict {
  const target = 'endpoint';
  const blocked = basics(facts);
  if (blocked) return { target, ...blocked };
  const { emulator, problem, endpoint: url } = facts.emulator;
  if (!problem) return { target, ready: true, reason: `${describeEmulator(emulator)} at ${url}`, next: 'HARNESS_TARGET=endpoint npm run scenarios' };
  if (!emulator) return { target, ready: false, reason: problem };
  if (emulator.kind === 'none') {
    const steps = [
      !facts.docker.ok && DOCKER_START,
      !facts.compose.ok && `install Docker Compose v2 (${facts.compose.detail}; \`docker compose version\` must print 2.x)`,
      !facts.tokenSet && 'cp .env.example .env and put your LOCALSTACK_AUTH_TOKEN in it',
      'docker compose up',
      'HARNESS_TARGET=endpoint npm run scenarios',
    ].filter((step): step is string => Boolean(step));
    return { target, ready: false, reason: `nothing answers at ${url} (${emulator.detail})`, next: steps.join(', then ') };
  }
  return { target, ready: false, reason: problem };
}

async function aws(facts: Facts, env: NodeJS.ProcessEnv): Promise<TargetVerdict> {
  const target = 'aws';
  const blocked = basics(facts);
  if (blocked) return { target, ...blocked };
  const { identity, identityError } = facts.aws;
  try {
    // The target's own guard, fed the identity already asked for: the same refusals, word for word.
    const access = await checkAwsAccess(env, async () => {
      if (identity) return identity;
      throw identityError;
    });
    return {
      target,
      ready: true,
      reason: `credentials for account ${access.account} (= HARNESS_AWS_ACCOUNT), region ${access.region}`,
      warning: 'deploys real, billed resources (cents per run) and takes 30-75 min; the stack is always deleted',
      next: 'HARNESS_TARGET=aws npm run scenarios',
    };
  } catch (error) {
    return { target, ready: false, reason: (error as Error).message };
  }
}

export async function targetVerdicts(facts: Facts, env: NodeJS.ProcessEnv): Promise<TargetVerdict[]> {
  return [local(facts), localstack(facts, env), endpoint(facts), await aws(facts, env)];
}

function triedText(facts: Facts): string {
  return facts.docker.tried.map((t) => `${t.where}: ${t.answer}`).join('; ');
}

function describeEmulator(emulator: Emulator | undefined): string {
  switch (emulator?.kind) {
    case undefined:
      return 'no emulator';
    case 'none':
      return `nothing (${emulator.detail})`;
    case 'unknown':
      return `something that is not LocalStack (${emulator.detail})`;
    case 'localstack': {
      const about = [emulator.version, emulator.edition && `edition ${emulator.edition}`].filter(Boolean).join(', ');
      const missing = emulator.missing.length ? `; missing ${emulator.missing.map((m) => `${m.service} (${m.plan} plan)`).join(', ')}` : '; every service the pattern needs';
      return `LocalStack${about ? ` ${about}` : ''}${missing}`;
    }
    case 'floci':
    case 'ministack':
    case 'fakecloud':
      return `${{ floci: 'Floci', ministack: 'MiniStack', fakecloud: 'fakecloud' }[emulator.kind]}${emulator.version ? ` ${emulator.version}` : ''}`;
  }
}

/** The whole report as data (for --json): facts in words, never a secret, and the verdicts. */
export interface DoctorReport {
  /** Exit code 0 when true: the offline target can run here. */
  readonly localReady: boolean;
  /** `ok: null` for what is information rather than a requirement. */
  readonly checks: readonly { readonly name: string; readonly ok: boolean | null; readonly detail: string }[];
  readonly targets: readonly TargetVerdict[];
  /** What `npm run scenarios` would run here and why (target selection itself, fed the Docker answer above). */
  readonly scenarios: string;
}

export async function doctorReport(facts: Facts, env: NodeJS.ProcessEnv): Promise<DoctorReport> {
  const targets = await targetVerdicts(facts, env);
  const { docker, emulator, compose, aws: awsFacts } = facts;
  const expected = env.HARNESS_AWS_ACCOUNT?.trim();
  let region: { ok: boolean; detail: string };
  try {
    region = { ok: true, detail: explicitRegion(env) };
  } catch (error) {
    region = { ok: false, detail: (error as Error).message };
  }
  const credentials = awsFacts.identity
    ? { ok: true, detail: `account ${awsFacts.identity.account} (${awsFacts.identity.arn})` }
    : { ok: false, detail: explainStsFailure(awsFacts.identityError, awsFacts.askedIn, env) };
  const checks = [
    { name: 'Node', ok: facts.node.ok, detail: `${facts.node.current} (needs >= ${facts.node.minimum}; .nvmrc: ${facts.node.recommended})` },
    {
      name: 'dependencies',
      ok: facts.missingDependencies.length === 0,
      detail: facts.missingDependencies.length === 0 ? 'installed (node_modules)' : `missing: ${facts.missingDependencies.join(', ')} (run npm ci)`,
    },
    {
      name: 'Docker engine',
      ok: docker.ok,
      detail: docker.ok ? `${docker.engine} at ${docker.tried[0]?.where}` : `no answer (${triedText(facts)})`,
    },
    // Said even when no engine answers: it decides how the EFS bridge can work once one does.
    { name: 'Docker location', ok: null, detail: placementText(facts) },
    { name: 'LOCALSTACK_AUTH_TOKEN', ok: facts.tokenSet, detail: facts.tokenSet ? 'set (not shown)' : 'not set' },
    imageRow(facts),
    ...(docker.engineFacts ? [networkRow(docker.engineFacts, env)] : []),
    { name: `emulator at ${emulator.endpoint}`, ok: !emulator.problem, detail: emulator.emulator ? describeEmulator(emulator.emulator) : (emulator.problem ?? '') },
    { name: 'Docker Compose', ok: compose.ok, detail: compose.detail },
    { name: 'AWS credentials', ok: credentials.ok, detail: credentials.detail },
    {
      name: 'HARNESS_AWS_ACCOUNT',
      ok: Boolean(expected) && (!awsFacts.identity || awsFacts.identity.account === expected),
      detail: !expected
        ? 'not set'
        : awsFacts.identity
          ? awsFacts.identity.account === expected
            ? `${expected} (matches the credentials)`
            : `${expected}, but the credentials belong to ${awsFacts.identity.account}`
          : `${expected} (not compared: no credentials)`,
    },
    { name: 'AWS region', ok: region.ok, detail: region.detail },
  ];
  let scenarios: string;
  try {
    const choice = await selectTarget(env, async () => docker.ok);
    scenarios = `${choice.target} (${choice.reason})`;
  } catch (error) {
    scenarios = (error as Error).message;
  }
  return { localReady: targets[0]!.ready, checks, targets, scenarios };
}

/** The name alone proves nothing: is the image on the engine, and what would getting it take? */
function imageRow(facts: Facts): { name: string; ok: boolean | null; detail: string } {
  const { image, problem } = facts.image;
  if (problem || !image) return { name: 'LocalStack image', ok: false, detail: problem ?? '' };
  const present = facts.docker.engineFacts?.imagePresent;
  if (present) return { name: 'LocalStack image', ok: true, detail: `${image} (on this engine)` };
  if (present === false) {
    return {
      name: 'LocalStack image',
      ok: false,
      detail: `${image} is not on this engine: the first start pulls it (needs access to Docker Hub), or load it on a machine without one: docker load -i localstack.tar (made elsewhere with docker save ${image})`,
    };
  }
  return { name: 'LocalStack image', ok: null, detail: `${image} (not checked: no Docker engine answers)` };
}

/** Networks the engine offers decide the network mode and whether Testcontainers' Ryuk can run at all. */
function networkRow(engine: EngineFacts, env: NodeJS.ProcessEnv): { name: string; ok: boolean | null; detail: string } {
  const bridge = engine.networks.includes('bridge');
  const ryuk = env.TESTCONTAINERS_RYUK_DISABLED === 'true'
    ? 'Ryuk disabled (TESTCONTAINERS_RYUK_DISABLED=true); the harness removes what it starts itself'
    : bridge
      ? 'Ryuk can run if its image (testcontainers/ryuk) can be pulled; the harness does not rely on it'
      : 'Ryuk cannot run (it publishes a port on the default bridge network); the harness disables it and removes what it starts itself';
  const mode = bridge ? 'bridge network per run' : 'host network (LocalStack on 127.0.0.1:HARNESS_LOCALSTACK_PORT, default 4566)';
  return { name: 'Docker networks', ok: null, detail: `${engine.networks.join(', ')}: ${mode}; ${ryuk}` };
}

function placementText(facts: Facts): string {
  const words = { local: 'local', remote: 'remote', 'docker-outside-of-docker': 'Docker-outside-of-Docker' }[facts.docker.placement];
  return `${words} (${facts.docker.placementWhy})`;
}

/** The report for a person: the checks, then one row per target with its next step. Redacted. */
export function renderText(report: DoctorReport, env: NodeJS.ProcessEnv): string {
  const mark = (ok: boolean | null) => (ok === null ? '-- ' : ok ? 'ok ' : 'no ');
  const width = Math.max(...report.checks.map((c) => c.name.length));
  const targetWidth = Math.max(...report.targets.map((t) => t.target.length));
  const lines = [
    'Checks',
    ...report.checks.map((c) => `  ${mark(c.ok)} ${c.name.padEnd(width)}  ${c.detail}`),
    '',
    'Targets',
    ...report.targets.flatMap((t) => [
      `  ${t.target.padEnd(targetWidth)}  ${t.ready ? 'ready    ' : 'not ready'}  ${t.reason}`,
      ...(t.warning ? [`  ${''.padEnd(targetWidth)}  ${'warning'.padEnd(9)}  ${t.warning}`] : []),
      ...(t.next ? [`  ${''.padEnd(targetWidth)}  ${'next'.padEnd(9)}  ${t.next}`] : []),
    ]),
    '',
    `npm run scenarios would run: ${report.scenarios}`,
  ];
  return redact(lines.join('\n'), env);
}

export function renderJson(report: DoctorReport, env: NodeJS.ProcessEnv): string {
  return redact(JSON.stringify(report), env);
}
