import type { TargetName } from '../../core/environment.ts';
import type { DevOptions } from '../../model/target.ts';

/** Node's own default inspector port: what VS Code and Chrome DevTools look at first. */
export const DEFAULT_INSPECT_PORT = 9229;

/** `--inspect` may come without a value (as with `node --inspect`): it means the default port. */
export function normalizeInspectFlag(args: readonly string[]): string[] {
  return args.map((arg) => (arg === '--inspect' ? `--inspect=${DEFAULT_INSPECT_PORT}` : arg));
}

/**
 * The development options for a target, or an error that says why a target has none. The aws target has no
 * watch mode: a VPC function takes minutes to update there, and real AWS is the smoke test, not the dev loop.
 */
export function devOptionsFor(
  target: TargetName,
  flags: { readonly watch: boolean; readonly inspect?: string | undefined },
  log: (line: string) => void,
): DevOptions | undefined {
  if (!flags.watch && flags.inspect === undefined) return undefined;
  if (target === 'aws') {
    throw new Error(
      `--${flags.watch ? 'watch' : 'inspect'} is not available on the aws target: a deploy there takes minutes and nothing runs locally to attach to. ` +
        'Use the local target for the edit loop (`npm run dev`), or LocalStack (`npm run up -- --target localstack --watch`).',
    );
  }
  if (target === 'endpoint' && flags.inspect !== undefined) {
    throw new Error(
      '--inspect cannot reach the endpoint target: its LocalStack is already running, and the inspector is set in LocalStack\'s own ' +
        'LAMBDA_DOCKER_FLAGS when it starts. Add the inspector flags there in a docker-compose.override.yml (README, "A debugger on the function"), ' +
        'or use --target local or --target localstack with --inspect.',
    );
  }
  let inspectPort: number | undefined;
  if (flags.inspect !== undefined) {
    inspectPort = Number(flags.inspect);
    if (!Number.isInteger(inspectPort) || inspectPort < 1024 || inspectPort > 65535) {
      throw new Error(`--inspect=${flags.inspect} is not a port: use a number from 1024 to 65535, e.g. --inspect=${DEFAULT_INSPECT_PORT}.`);
    }
  }
  return { watch: flags.watch, ...(inspectPort !== undefined ? { inspectPort } : {}), log };
}
