import { LocalstackContainer } from '@testcontainers/localstack';
import { getContainerRuntimeClient, getReaper, LABEL_TESTCONTAINERS_SESSION_ID } from 'testcontainers';

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

/** Where the LocalStack container sees the EFS bridge (to empty it as root, or to read a bridge volume). */
export const EFS_ROOT_IN_CONTAINER = '/var/lib/harness-efs';

/** What the pattern needs from LocalStack, by plan (LocalStack's licensing page, 23 March 2026; README "LocalStack"). */
export const PLAN_HELP =
  'The pattern needs LocalStack\'s Base plan for HTTP APIs (apigatewayv2; Lambda and CloudFormation are in every plan). ' +
  'The EFS API (Ultimate plan) is optional: LocalStack never mounts EFS, so without it the harness deploys the stack without ' +
  'its AWS::EFS::* resources (HARNESS_LOCALSTACK_EFS=auto).';

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
  /** The bridge as LocalStack itself mounts it: the host folder, or each volume, under EFS_ROOT_IN_CONTAINER. */
  readonly efsMounts: readonly { readonly source: string; readonly target: string }[];
  /** User-defined network that LocalStack and its Lambda containers share; none on reuse (see below). */
  readonly network?: string;
  readonly reuse: boolean;
}

export interface LocalstackContainerConfig {
  readonly image: string;
  /** Everything but LAMBDA_DOCKER_FLAGS, which is set once, with the Ryuk label (lambdaDockerFlagsValue). */
  readonly environment: Readonly<Record<string, string>>;
  readonly lambdaDockerFlags: string;
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
      LAMBDA_RUNTIME_ENVIRONMENT_TIMEOUT: String(LAMBDA_RUNTIME_ENVIRONMENT_TIMEOUT_SECONDS),
      // Set here rather than by the module, so that reuse (which skips the module's hook) gets it too.
      LOCALSTACK_HOST: 'localhost',
      DEBUG: '0',
      ...(options.network ? { LAMBDA_DOCKER_NETWORK: options.network } : {}),
    },
    lambdaDockerFlags: options.lambdaDockerFlags,
    bindMounts: [
      // Lambda runs each function in a sibling container through the host's Docker engine.
      { source: options.dockerSocketPath, target: '/var/run/docker.sock' },
      // Files the function writes belong to its user inside the Lambda container (sbx_user1051, uid 993);
      // LocalStack runs as root and can remove them at teardown where the harness's user cannot. A volume's
      // source is its name: Docker mounts the named volume (Engine API, HostConfig.Binds).
      ...options.efsMounts,
    ],
    ...(options.network ? { network: options.network } : {}),
    reuse: options.reuse,
  };
}

/** LAMBDA_DOCKER_FLAGS: the bridge, then the Ryuk label that lets the reaper remove Lambda containers with the session. */
export function lambdaDockerFlagsValue(bridgeFlags: string, sessionId: string | undefined): string {
  return [bridgeFlags, sessionId && `-l ${LABEL_TESTCONTAINERS_SESSION_ID}=${sessionId}`].filter(Boolean).join(' ');
}

/** The Ryuk session of this process (starting the reaper, as LocalstackContainer's own hook does). */
async function ryukSessionId(): Promise<string> {
  return (await getReaper(await getContainerRuntimeClient())).sessionId;
}

/**
 * LAMBDA_DOCKER_FLAGS set exactly once. `LocalstackContainer.beforeContainerCreated` (@testcontainers/localstack
 * 12.1.0, build/localstack-container.js `flagLambdaSessionId`) calls withEnvironment with the old value plus its
 * Ryuk label, and GenericContainer.withEnvironment (testcontainers 12.2.0) appends to the container's Env list:
 * a value set before would reach Docker twice, and which one LocalStack reads would depend on its entrypoint.
 * So this hook replaces the module's: the whole value, once. Its other step, LOCALSTACK_HOST, is in our
 * environment already. On reuse there is no label: it changes every session, so the reuse hash would never
 * match (testcontainers-node#1143), and a container that outlives the session must keep its Lambda containers.
 */
class HarnessLocalstackContainer extends LocalstackContainer {
  private readonly bridgeFlags: string;
  private readonly sessionId: () => Promise<string>;

  constructor(image: string, bridgeFlags: string, sessionId: () => Promise<string>) {
    super(image);
    this.bridgeFlags = bridgeFlags;
    this.sessionId = sessionId;
  }

  protected override async beforeContainerCreated(): Promise<void> {
    this.withEnvironment({ LAMBDA_DOCKER_FLAGS: lambdaDockerFlagsValue(this.bridgeFlags, this.reuse ? undefined : await this.sessionId()) });
  }
}

/** The Testcontainers container for a configuration (not started). `sessionId` is replaceable in tests. */
export function createLocalstackContainer(config: LocalstackContainerConfig, sessionId: () => Promise<string> = ryukSessionId): LocalstackContainer {
  const container = new HarnessLocalstackContainer(config.image, config.lambdaDockerFlags, sessionId)
    .withEnvironment({ ...config.environment })
    .withBindMounts(config.bindMounts.map((b) => ({ ...b, mode: 'rw' as const })));
  if (config.network) container.withNetworkMode(config.network);
  if (config.reuse) container.withReuse();
  return container;
}
