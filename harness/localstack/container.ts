import { LocalstackContainer } from '@testcontainers/localstack';

/**
 * The LocalStack container the `localstack` target starts: a pure description (`localstackContainerConfig`,
 * unit-tested field by field) and the one place that turns it into a Testcontainers `LocalstackContainer`.
 */

/**
 * Pinned image. LocalStack moved to calendar versions after 4.14.0 (there is no 4.15): `2026.MM.patch`.
 * Every image after 4.14.0 needs LOCALSTACK_AUTH_TOKEN; 4.14.0 itself has neither EFS nor HTTP APIs.
 */
export const DEFAULT_LOCALSTACK_IMAGE = 'localstack/localstack:2026.08.0';

/** LocalStack's default is 20 s: a cold Node.js function in a VPC with a bind mount can need more. */
export const LAMBDA_RUNTIME_ENVIRONMENT_TIMEOUT_SECONDS = 60;

/** Where the LocalStack container sees the EFS bridge folder (only to empty it as root at teardown). */
export const EFS_ROOT_IN_CONTAINER = '/var/lib/harness-efs';

/** What the pattern needs from LocalStack, by plan (DESIGN.md, "Facts about the emulators"). */
export const PLAN_HELP =
  'The pattern needs LocalStack\'s Base plan for HTTP APIs (apigatewayv2) and the Ultimate plan for the EFS API ' +
  '(Lambda and CloudFormation are in every plan).';

export const TOKEN_HELP =
  'Get an Auth Token at https://app.localstack.cloud/workspace/auth-token (for CI, create a CI Auth Token there ' +
  'and store it as the secret LOCALSTACK_AUTH_TOKEN), then: export LOCALSTACK_AUTH_TOKEN=<token> ' +
  '(or put it in .env, which git ignores).';

/**
 * The auth token, or an error that says why it is needed and how to get one. Called before anything touches
 * Docker: without a token every current LocalStack image exits at once (code 55).
 */
export function requireAuthToken(env: NodeJS.ProcessEnv): string {
  const token = env.LOCALSTACK_AUTH_TOKEN?.trim();
  if (token) return token;
  throw new Error(
    'LOCALSTACK_AUTH_TOKEN is not set: every LocalStack image after 4.14.0 needs it (the container exits with code 55 ' +
      `without it). ${PLAN_HELP} ${TOKEN_HELP} Or run without LocalStack: HARNESS_TARGET=local.`,
  );
}

/** The image to run: HARNESS_LOCALSTACK_IMAGE or the pinned default; never a floating `latest`. */
export function localstackImage(env: NodeJS.ProcessEnv): string {
  const image = env.HARNESS_LOCALSTACK_IMAGE?.trim() || DEFAULT_LOCALSTACK_IMAGE;
  const tag = image.includes('@') ? 'digest' : image.slice(image.lastIndexOf('/') + 1).split(':')[1];
  if (!tag || tag === 'latest') {
    throw new Error(`HARNESS_LOCALSTACK_IMAGE="${image}" has no pinned tag: name a release, e.g. ${DEFAULT_LOCALSTACK_IMAGE}.`);
  }
  return image;
}

export interface ContainerConfigOptions {
  readonly image: string;
  readonly authToken: string;
  /** The Docker socket as the Docker daemon sees it (a bind source is resolved by the daemon, not by us). */
  readonly dockerSocketPath: string;
  /** `-v` flags of the EFS bridge (see efs-bridge.ts), put into every Lambda container. */
  readonly lambdaDockerFlags: string;
  /** Host folder holding the bridged file systems. */
  readonly efsRoot: string;
  /** User-defined network that LocalStack and its Lambda containers share; none on reuse (see below). */
  readonly network?: string;
  readonly reuse: boolean;
}

export interface LocalstackContainerConfig {
  readonly image: string;
  readonly environment: Readonly<Record<string, string>>;
  readonly bindMounts: readonly { readonly source: string; readonly target: string }[];
  readonly network?: string;
  readonly reuse: boolean;
}

/** Everything about the container, as data. */
export function localstackContainerConfig(options: ContainerConfigOptions): LocalstackContainerConfig {
  return {
    image: options.image,
    environment: {
      LOCALSTACK_AUTH_TOKEN: options.authToken,
      // The module appends its Ryuk session label to this (not on reuse): both survive.
      LAMBDA_DOCKER_FLAGS: options.lambdaDockerFlags,
      LAMBDA_RUNTIME_ENVIRONMENT_TIMEOUT: String(LAMBDA_RUNTIME_ENVIRONMENT_TIMEOUT_SECONDS),
      // Set here rather than by the module, so that reuse (which skips the module's hook) gets it too.
      LOCALSTACK_HOST: 'localhost',
      DEBUG: '0',
      ...(options.network ? { LAMBDA_DOCKER_NETWORK: options.network } : {}),
    },
    bindMounts: [
      // Lambda runs each function in a sibling container through the host's Docker engine.
      { source: options.dockerSocketPath, target: '/var/run/docker.sock' },
      // Files the function writes belong to its user inside the Lambda container (sbx_user1051, uid 993);
      // LocalStack runs as root and can remove them at teardown where the harness's user cannot.
      { source: options.efsRoot, target: EFS_ROOT_IN_CONTAINER },
    ],
    ...(options.network ? { network: options.network } : {}),
    reuse: options.reuse,
  };
}

/**
 * `LocalstackContainer` writes the Ryuk session id into LAMBDA_DOCKER_FLAGS before Testcontainers hashes the
 * container's settings, so a reused container never matches (testcontainers-node#1143). On reuse we skip that
 * hook: a container that outlives the session must not have its Lambda containers reaped with the session.
 */
class HarnessLocalstackContainer extends LocalstackContainer {
  protected override async beforeContainerCreated(): Promise<void> {
    if (this.reuse) return;
    await super.beforeContainerCreated();
  }
}

/** The Testcontainers container for a configuration (not started). */
export function createLocalstackContainer(config: LocalstackContainerConfig): LocalstackContainer {
  const container = new HarnessLocalstackContainer(config.image)
    .withEnvironment({ ...config.environment })
    .withBindMounts(config.bindMounts.map((b) => ({ ...b, mode: 'rw' as const })));
  if (config.network) container.withNetworkMode(config.network);
  if (config.reuse) container.withReuse();
  return container;
}
