import { dockerEngineAnswers } from '../core/docker-engine.ts';

/**
 * Whether the real-LocalStack end-to-end tests can run here, and a skip reason that names exactly what is missing
 * (an engine can answer while the token is missing: the reason must not blame Docker then).
 */
export async function localstackE2e(env: NodeJS.ProcessEnv): Promise<{ available: boolean; reason: string }> {
  const missing = [
    !env.LOCALSTACK_AUTH_TOKEN?.trim() && 'LOCALSTACK_AUTH_TOKEN is not set',
    !(await dockerEngineAnswers(env)) && 'no Docker engine answers',
  ].filter(Boolean);
  return missing.length === 0
    ? { available: true, reason: 'a Docker engine and LOCALSTACK_AUTH_TOKEN present; the engine must be able to pull LocalStack' }
    : { available: false, reason: `skipped: ${missing.join(' and ')} (it also needs an engine that can pull the LocalStack image)` };
}
