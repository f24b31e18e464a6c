import { redact } from '../../core/redact.ts';
import { PLAN_HELP } from './container.ts';
import { REGION } from './deploy.ts';
import { emulatorApi, type ServiceProbe } from './emulator-api.ts';

/**
 * Which emulator answers at an endpoint, and whether it can host this pattern. Users moved to free
 * emulators in 2026; three of them cannot host it today, and failing with a plain sentence beats a
 * rolled-back stack or scenarios that fail on every file. Floci also answers LocalStack's health path, so
 * its own path is asked first.
 */

export const HEALTH_PATHS = {
  floci: '/_floci/health',
  ministack: '/_ministack/health',
  // faiscadev/fakecloud@8ac2d3aa, crates/fakecloud-server/src/main.rs: {"status":"ok","version":…,"services":[…]}
  fakecloud: '/_fakecloud/health',
  localstack: '/_localstack/health',
} as const;

type Probed = keyof typeof HEALTH_PATHS;

/** What one health path answered: a status and body, or why nothing came back. */
export type ProbeResult = { readonly status: number; readonly body: string } | { readonly error: string };

/**
 * A required LocalStack service and the plan that has it. Not EFS: without its API the harness deploys the
 * bridge-only variant (efs-mode.ts), whose choice rests on a DescribeFileSystems call, not on this map.
 */
export const REQUIRED_SERVICES = [
  { service: 'cloudformation', plan: 'Hobby' },
  { service: 'lambda', plan: 'Hobby' },
  { service: 'apigatewayv2', plan: 'Base' },
] as const;

/**
 * States in LocalStack's health map in which a service serves requests (it starts services on first use).
 * The states: localstack/localstack@8b9a79f0, localstack-core/localstack/services/plugins.py `ServiceState`.
 */
const USABLE_STATES = new Set(['available', 'running', 'starting']);

export type Emulator =
  | { readonly kind: 'none'; readonly detail: string }
  | { readonly kind: 'floci' | 'ministack' | 'fakecloud'; readonly version?: string }
  | {
      readonly kind: 'localstack';
      readonly edition?: string;
      readonly version?: string;
      readonly missing: readonly { readonly service: string; readonly plan: string; readonly state: string }[];
    }
  | { readonly kind: 'unknown'; readonly detail: string };

interface HealthBody {
  readonly services?: Record<string, unknown>;
  readonly edition?: unknown;
  readonly version?: unknown;
}

function healthBody(result: ProbeResult | undefined): HealthBody | undefined {
  if (!result || 'error' in result || result.status !== 200) return undefined;
  try {
    const parsed = JSON.parse(result.body) as HealthBody | null;
    return typeof parsed?.services === 'object' && parsed.services !== null ? parsed : undefined;
  } catch {
    return undefined;
  }
}

const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

/** Classifies the answers of the health paths (pure: recorded bodies in, verdict out). */
export function classifyEmulator(results: Partial<Record<Probed, ProbeResult>>): Emulator {
  const floci = healthBody(results.floci);
  if (floci) return { kind: 'floci', ...(text(floci.version) ? { version: text(floci.version)! } : {}) };
  const ministack = healthBody(results.ministack);
  if (ministack) return { kind: 'ministack', ...(text(ministack.version) ? { version: text(ministack.version)! } : {}) };
  const fakecloud = healthBody(results.fakecloud);
  if (fakecloud) return { kind: 'fakecloud', ...(text(fakecloud.version) ? { version: text(fakecloud.version)! } : {}) };
  const localstack = healthBody(results.localstack);
  if (localstack) {
    const edition = text(localstack.edition);
    const version = text(localstack.version);
    if (edition?.toLowerCase().includes('floci')) return { kind: 'floci', ...(version ? { version } : {}) };
    const services = localstack.services ?? {};
    const missing = REQUIRED_SERVICES.flatMap(({ service, plan }) => {
      const state = services[service];
      return typeof state === 'string' && USABLE_STATES.has(state) ? [] : [{ service, plan, state: typeof state === 'string' ? state : 'not listed' }];
    });
    return { kind: 'localstack', ...(edition ? { edition } : {}), ...(version ? { version } : {}), missing };
  }
  const all = Object.entries(results) as [Probed, ProbeResult][];
  if (all.length > 0 && all.every(([, r]) => 'error' in r)) {
    return { kind: 'none', detail: (all[all.length - 1]![1] as { error: string }).error };
  }
  const answers = all.map(([name, r]) => `GET ${HEALTH_PATHS[name]} → ${'error' in r ? r.error : `HTTP ${r.status} ${r.body.slice(0, 120)}`}`);
  return { kind: 'unknown', detail: answers.join('; ') };
}

/** Why the emulator cannot host the pattern, or undefined when it can. */
export function emulatorProblem(emulator: Emulator, endpoint: string, howToStart: string): string | undefined {
  switch (emulator.kind) {
    case 'none':
      return `Nothing answers at ${endpoint} (${emulator.detail}). ${howToStart}`;
    case 'floci':
      return (
        `The emulator at ${endpoint} is Floci${emulator.version ? ` ${emulator.version}` : ''}, which cannot host this pattern: ` +
        "it stubs AWS::EFS::* in CloudFormation, the access point ARN it invents fails Lambda's check and the stack rolls back. " +
        `Use LocalStack. ${PLAN_HELP}`
      );
    case 'ministack':
      return (
        `The emulator at ${endpoint} is MiniStack${emulator.version ? ` ${emulator.version}` : ''}, which cannot host this pattern: ` +
        'its CloudFormation rejects AWS::EFS::* and AWS::EC2::SecurityGroupIngress, both part of the stack. ' +
        `Use LocalStack. ${PLAN_HELP}`
      );
    case 'fakecloud':
      return (
        `The emulator at ${endpoint} is fakecloud${emulator.version ? ` ${emulator.version}` : ''}, which cannot host this pattern: ` +
        'its CloudFormation can deploy the stack, but it mounts nothing into a function and has no equivalent of LAMBDA_DOCKER_FLAGS, ' +
        `so the function never sees the EFS bridge and every file scenario would fail. Use LocalStack. ${PLAN_HELP}`
      );
    case 'unknown':
      return `Something answers at ${endpoint}, but not as LocalStack (${emulator.detail}). ${howToStart}`;
    case 'localstack': {
      if (emulator.missing.length === 0) return undefined;
      const what = emulator.missing.map((m) => `${m.service} (${m.state}; in the ${m.plan} plan)`).join(', ');
      const about = [emulator.version, emulator.edition && `edition ${emulator.edition}`].filter(Boolean).join(', ');
      return (
        `LocalStack${about ? ` (${about})` : ''} at ${endpoint} does not offer ${what}. ${PLAN_HELP} ` +
        'Check the plan of the workspace your LOCALSTACK_AUTH_TOKEN belongs to (https://app.localstack.cloud), ' +
        'and that SERVICES, if set, lists these services.'
      );
    }
  }
}

/** Asks each health path once, with a timeout; never throws. */
export async function probeEmulator(endpoint: string, timeoutMs = 3_000): Promise<Record<Probed, ProbeResult>> {
  const base = endpoint.replace(/\/+$/, '');
  const entries = await Promise.all(
    (Object.entries(HEALTH_PATHS) as [Probed, string][]).map(async ([name, path]): Promise<[Probed, ProbeResult]> => {
      try {
        const res = await fetch(`${base}${path}`, { signal: AbortSignal.timeout(timeoutMs) });
        return [name, { status: res.status, body: redact(await res.text()) }];
      } catch (error) {
        const cause = (error as { cause?: { code?: string; message?: string } }).cause;
        return [name, { error: cause?.code ?? cause?.message ?? (error as Error).message }];
      }
    }),
  );
  return Object.fromEntries(entries) as Record<Probed, ProbeResult>;
}

/**
 * Probes the endpoint and throws with a plain message unless LocalStack with every needed service answers.
 * HTTP APIs are closed code, and how the 2026 image's health map shows a service outside the plan is not
 * documented: when the map does not say apigatewayv2 is usable, its own API (GetApis) decides.
 */
export async function requireCapableEmulator(
  endpoint: string,
  howToStart: string,
  probeHttpApis: () => Promise<ServiceProbe> = () => emulatorApi(endpoint, REGION).httpApis(),
): Promise<Emulator> {
  let emulator = classifyEmulator(await probeEmulator(endpoint));
  if (emulator.kind === 'localstack' && emulator.missing.some((m) => m.service === 'apigatewayv2')) {
    const answer = await probeHttpApis();
    const missing = emulator.missing.flatMap((m) =>
      m.service !== 'apigatewayv2' ? [m] : answer.available ? [] : [{ ...m, state: `${m.state} in the health map; ${answer.detail}` }],
    );
    emulator = { ...emulator, missing };
  }
  const problem = emulatorProblem(emulator, endpoint, howToStart);
  if (problem) throw new Error(problem);
  return emulator;
}
