/**
 * Proof that the EFS bridge reaches the function, by behaviour: LocalStack's GetFunction never shows a mount
 * (its CloudFormation drops FileSystemConfigs, docs/localstack-behaviour.md), so after the function is Active
 * the harness calls `GET <api>/health` through the real API URL. The handler answers 200 only when it could
 * write and remove a file under its mount path (handler/mount.ts `probeWritable`), so a 200 proves the whole
 * path: HTTP API → Lambda → the bridged folder. Anything else stops the start with a diagnosis.
 */

/** What `GET <api>/health` answered, or why nothing came back. */
export type HealthAnswer = { readonly status: number; readonly body: string } | { readonly error: string };

/** How long cold starts may make `/health` fail before its answer counts (the first invocation starts a Lambda container). */
export const HEALTH_WAIT_SECONDS = 90;

/**
 * The handler's own 503 (`{"status":"unavailable","error":{"code":"mount_unavailable",...}}`, handler/index.ts
 * `health`) is final: the function ran and saw the mount broken. Retried: no answer, and 5xx answers that
 * are not the handler's (LocalStack's API layer while the function container starts).
 */
export function isFinal(answer: HealthAnswer): boolean {
  if ('error' in answer) return false;
  if (answer.status < 500) return true;
  return handlerUnavailable(answer) !== undefined;
}

/** The handler's mount_unavailable message, when the answer is the handler's 503. */
function handlerUnavailable(answer: HealthAnswer): string | undefined {
  if ('error' in answer) return undefined;
  try {
    const body = JSON.parse(answer.body) as { status?: unknown; error?: { code?: unknown; message?: unknown } } | null;
    if (body?.status === 'unavailable' && body.error?.code === 'mount_unavailable') return String(body.error.message ?? '');
  } catch {
    // Not the handler's JSON.
  }
  return undefined;
}

export interface HealthContext {
  readonly url: string;
  readonly mountPath: string;
  /** `bind` or `volume`: what carries the folder into the function (bridge-mode.ts). */
  readonly bridge: string;
}

/** Likely causes of a non-200 `/health`, each with its fix (pure: answer in, text out). */
export function diagnoseHealth(answer: HealthAnswer, ctx: HealthContext): string {
  const said = 'error' in answer ? `no answer (${answer.error})` : `HTTP ${answer.status} ${answer.body.slice(0, 500)}`;
  const causes: string[] = [];
  const unavailable = handlerUnavailable(answer);
  const volumeFix = ctx.bridge === 'bind' ? ' Or use a Docker volume instead of a host folder: HARNESS_EFS_BRIDGE=volume.' : '';
  if (unavailable !== undefined && /does not exist|not a directory/.test(unavailable)) {
    causes.push(
      `LocalStack did not put the bridge at ${ctx.mountPath} in the function's container. It skips a -v flag it cannot parse with only a ` +
        'warning ("Unable to parse volume mount Docker flags" in the container log): check LAMBDA_DOCKER_FLAGS there, and that nothing ' +
        '(an .env, a compose override) replaced it.',
    );
  } else if (unavailable !== undefined) {
    causes.push(
      `The function cannot write at ${ctx.mountPath} (it runs as uid 993). When the Docker daemon cannot see the -v source (the harness ` +
        'runs in a container, DOCKER_HOST is remote, or a colima/Podman VM does not share the folder) it creates an empty root-owned ' +
        `folder instead: share the folder with the daemon's host.${volumeFix}`,
      'On SELinux hosts (Fedora, RHEL) the container may not write to a host folder: `chcon -Rt container_file_t <folder>`, or ' +
        'HARNESS_EFS_BRIDGE=volume.',
    );
  } else if ('error' in answer) {
    causes.push('Nothing answered at the API URL: check that LocalStack still runs (its log) and that the port is reachable from here.');
  } else if (answer.status === 404) {
    causes.push(
      'The HTTP API does not serve GET /health: its routes are missing (HTTP APIs need the Base plan), or this LocalStack does not ' +
        'route the path-style URL /_aws/execute-api/<api id>/$default.',
    );
  } else if (answer.status >= 500) {
    causes.push(
      'The function failed or timed out before answering (its log lines are below). Its first invocation starts a Lambda container ' +
        '(LocalStack pulled the runtime image when the function was created): if the log shows a timeout, raise LAMBDA_RUNTIME_ENVIRONMENT_TIMEOUT.',
    );
  } else {
    causes.push('The answer is not the handler\'s: check which service listens at the endpoint.');
  }
  return (
    `GET ${ctx.url} answered ${said}; it must answer 200, which proves that the function writes through the EFS bridge ` +
    `(${ctx.bridge} at ${ctx.mountPath}). Likely causes:\n${causes.map((c) => `  - ${c}`).join('\n')}`
  );
}

export interface ProveOptions {
  readonly apiUrl: string;
  readonly mountPath: string;
  readonly bridge: string;
  /** @default HEALTH_WAIT_SECONDS */
  readonly waitSeconds?: number;
  /** @default 2000 */
  readonly retryMs?: number;
  readonly signal?: AbortSignal;
}

/** Resolves once `/health` answers 200; throws the diagnosis of the last answer otherwise. */
export async function requireHealthy(options: ProveOptions): Promise<void> {
  const url = `${options.apiUrl}/health`;
  const deadline = Date.now() + (options.waitSeconds ?? HEALTH_WAIT_SECONDS) * 1000;
  for (;;) {
    const answer = await getHealth(url);
    if (!('error' in answer) && answer.status === 200) return;
    if (isFinal(answer) || Date.now() >= deadline || options.signal?.aborted) {
      throw new Error(diagnoseHealth(answer, { url, mountPath: options.mountPath, bridge: options.bridge }));
    }
    await new Promise((resolve) => setTimeout(resolve, options.retryMs ?? 2_000));
  }
}

async function getHealth(url: string): Promise<HealthAnswer> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(30_000) });
    return { status: res.status, body: await res.text() };
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    return { error: cause?.code ?? (error as Error).message };
  }
}
