import type { ServiceProbe } from './emulator-api.ts';

/**
 * HARNESS_LOCALSTACK_EFS: whether the stack deployed into LocalStack keeps its AWS::EFS::* resources.
 * - `api`: the full template; needs the EFS API (LocalStack's Ultimate plan).
 * - `bridge-only`: the variant without them (bridge-only.ts); Base is enough.
 * - `auto` (default): `api` when DescribeFileSystems answers, `bridge-only` otherwise.
 * Either way the function gets its files through the EFS bridge: LocalStack mounts no EFS on any plan.
 */

export const EFS_SETTINGS = ['auto', 'api', 'bridge-only'] as const;
export type EfsSetting = (typeof EFS_SETTINGS)[number];

export function efsSetting(env: NodeJS.ProcessEnv): EfsSetting {
  const value = env.HARNESS_LOCALSTACK_EFS?.trim() || 'auto';
  if ((EFS_SETTINGS as readonly string[]).includes(value)) return value as EfsSetting;
  throw new Error(`HARNESS_LOCALSTACK_EFS="${value}" is not one of ${EFS_SETTINGS.join(', ')}: auto (the default) picks by asking the EFS API.`);
}

export interface EfsDecision {
  readonly mode: 'api' | 'bridge-only';
  readonly reason: string;
}

/** Pure: the setting and what DescribeFileSystems answered (not asked for `bridge-only`) in, the mode out. */
export function decideEfs(setting: EfsSetting, probe: ServiceProbe | undefined): EfsDecision {
  if (setting === 'bridge-only') return { mode: 'bridge-only', reason: 'HARNESS_LOCALSTACK_EFS=bridge-only' };
  if (!probe) throw new Error(`HARNESS_LOCALSTACK_EFS=${setting} needs the EFS API's answer.`);
  if (probe.available) return { mode: 'api', reason: `the EFS API answers (HARNESS_LOCALSTACK_EFS=${setting})` };
  if (setting === 'api') {
    throw new Error(
      `HARNESS_LOCALSTACK_EFS=api, but the EFS API is not available (${probe.detail}). It is in LocalStack's Ultimate plan. ` +
        'LocalStack never mounts EFS into a function anyway, so the Base plan is enough: unset HARNESS_LOCALSTACK_EFS (auto) or set it to bridge-only.',
    );
  }
  return { mode: 'bridge-only', reason: `the EFS API is not available (${probe.detail})` };
}
