import { dockerEngineAnswers } from '../core/docker-engine.ts';
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
