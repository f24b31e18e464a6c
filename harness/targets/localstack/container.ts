import { createHash } from 'node:crypto';
import { LocalstackContainer } from '@testcontainers/localstack';
import { getContainerRuntimeClient, getReaper, LABEL_TESTCONTAINERS_SESSION_ID } from 'testcontainers';
import { pinnedImage } from '../../core/docker-engine.ts';

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
  return pinnedImage('HARNESS_LOCALSTACK_IMAGE', env.HARNESS_LOCALSTACK_IMAGE, DEFAULT_LOCALSTACK_IMAGE, 'name a release');
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
  /** The host network instead (an engine without a bridge network): LocalStack listens on this host port. */
  readonly hostNetworkPort?: number;
  /** Labels on LocalStack's container and, through LAMBDA_DOCKER_FLAGS, on its Lambda containers. */
  readonly labels: Readonly<Record<string, string>>;
  /** How long to wait for `Ready.` @default 120 s, the module's own */
  readonly startupTimeoutMs: number;
  readonly reuse: boolean;
}

export interface LocalstackContainerConfig {
  readonly image: string;
  /** Everything but LAMBDA_DOCKER_FLAGS, which is set once, with the Ryuk label (lambdaDockerFlagsValue). */
  readonly environment: Readonly<Record<string, string>>;
  readonly lambdaDockerFlags: string;
  readonly bindMounts: readonly { readonly source: string; readonly target: string }[];
  /** A user-defined network's name, or `host`. */
  readonly network?: string;
  /** With the host network: the port LocalStack listens on (GATEWAY_LISTEN), on 127.0.0.1. */
  readonly hostPort?: number;
  readonly labels: Readonly<Record<string, string>>;
  readonly startupTimeoutMs: number;
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
      // LocalStack's CloudFormation v2 engine warns that skipping unsupported types "will fail in upcoming LocalStack
      // releases unless CFN_IGNORE_UNSUPPORTED_RESOURCE_TYPES is explicitly enabled": enabled, so that the harness's
      // own check after the deploy says which plan is missing (docs/localstack-behaviour.md).
      CFN_IGNORE_UNSUPPORTED_RESOURCE_TYPES: '1',
      // The function is built for x86_64; on arm64 hosts LocalStack would otherwise need qemu (as docker-compose.yml).
      LAMBDA_IGNORE_ARCHITECTURE: '1',
      ...(options.network ? { LAMBDA_DOCKER_NETWORK: options.network } : {}),
      // Host network: LocalStack and every Lambda container share the host's; LocalStack listens on loopback only.
      ...(options.hostNetworkPort !== undefined
        ? { LAMBDA_DOCKER_NETWORK: 'host', GATEWAY_LISTEN: `127.0.0.1:${options.hostNetworkPort}` }
        : {}),
    },
    lambdaDockerFlags: [options.lambdaDockerFlags, ...Object.entries(options.labels).map(([k, v]) => `-l ${k}=${v}`)].filter(Boolean).join(' '),
    bindMounts: [
      // Lambda runs each function in a sibling container through the host's Docker engine.
      { source: options.dockerSocketPath, target: '/var/run/docker.sock' },
      // Files the function writes belong to its user inside the Lambda container (sbx_user1051, uid 993);
      // LocalStack runs as root and can remove them at teardown where the harness's user cannot. A volume's
      // source is its name: Docker mounts the named volume (Engine API, HostConfig.Binds).
      ...options.efsMounts,
    ],
    ...(options.network ? { network: options.network } : {}),
    ...(options.hostNetworkPort !== undefined ? { network: 'host', hostPort: options.hostNetworkPort } : {}),
    labels: options.labels,
    startupTimeoutMs: options.startupTimeoutMs,
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
  private readonly hooks: CreationHooks;

  constructor(image: string, bridgeFlags: string, sessionId: () => Promise<string>, hooks: CreationHooks) {
    super(image);
    this.bridgeFlags = bridgeFlags;
    this.sessionId = sessionId;
    this.hooks = hooks;
  }

  /** Testcontainers' hook right after the create call: the harness owns the container's removal from here on. */
  protected override async containerCreated(containerId: string): Promise<void> {
    this.hooks.created(containerId);
  }

  protected override async beforeContainerCreated(): Promise<void> {
    this.hooks.creating();
    this.withEnvironment({ LAMBDA_DOCKER_FLAGS: lambdaDockerFlagsValue(this.bridgeFlags, this.reuse || ryukDisabled() ? undefined : await this.sessionId()) });
  }

  /**
   * The host network publishes no port, so the constructor's withExposedPorts(4566) must go: its port binding
   * never appears, and Testcontainers would wait 10 s for it and fail (testcontainers-node#1446). These are
   * GenericContainer's protected fields in testcontainers 12.2.0 (build/generic-container/generic-container.js:
   * exposedPorts, createOpts.ExposedPorts, hostConfig.PortBindings); the version is pinned and
   * container.test.ts fails when they change.
   */
  withoutExposedPorts(): this {
    this.exposedPorts = [];
    delete this.createOpts.ExposedPorts;
    delete this.hostConfig.PortBindings;
    return this;
  }
}

/**
 * Testcontainers' own switch, read as it reads it (testcontainers 12.2.0 build/reaper/reaper.js: `=== "true"`); the
 * harness removes everything itself either way and never relies on Ryuk.
 */
export const ryukDisabled = (env: NodeJS.ProcessEnv = process.env) => env.TESTCONTAINERS_RYUK_DISABLED === 'true';

/** On every LocalStack container: a hash of its whole configuration, so that reuse can tell another one apart. */
export const CONFIG_LABEL = 'dev.harness.config';

/** sha256 of the configuration (token included: a new token is another configuration), 16 hex digits. */
export function configHash(config: LocalstackContainerConfig): string {
  return createHash('sha256').update(JSON.stringify(config)).digest('hex').slice(0, 16);
}

/**
 * When Testcontainers is about to ask Docker for the container (after any pull: Testcontainers 12.2.0
 * GenericContainer.start calls beforeContainerCreated right before the create) and once it exists (its
 * containerCreated hook, before any wait: a failed wait would otherwise leave the container to Ryuk).
 */
export interface CreationHooks {
  creating(): void;
  created(id: string): void;
}

const NO_HOOKS: CreationHooks = { creating: () => {}, created: () => {} };

/** The Testcontainers container for a configuration (not started). `sessionId` is replaceable in tests. */
export function createLocalstackContainer(
  config: LocalstackContainerConfig,
  hooks: CreationHooks = NO_HOOKS,
  sessionId: () => Promise<string> = ryukSessionId,
): HarnessLocalstackContainer {
  const container = new HarnessLocalstackContainer(config.image, config.lambdaDockerFlags, sessionId, hooks)
    .withEnvironment({ ...config.environment })
    .withBindMounts(config.bindMounts.map((b) => ({ ...b, mode: 'rw' as const })))
    .withLabels({ ...config.labels, [CONFIG_LABEL]: configHash(config) })
    .withStartupTimeout(config.startupTimeoutMs);
  if (config.network) container.withNetworkMode(config.network);
  if (config.network === 'host') container.withoutExposedPorts();
  if (config.reuse) container.withReuse();
  return container;
}

export interface StartFailure {
  /** Testcontainers' or the engine's message. */
  readonly message: string;
  readonly image: string;
  /** Whether the LocalStack image is on the engine now (a registry error is then Ryuk's pull, not LocalStack's). */
  readonly imagePresent: boolean | undefined;
  readonly ryukDisabled: boolean;
  readonly startupTimeoutMs: number;
}

/**
 * What went wrong when the container did not start, in words that name the cause and the fix. The patterns are
 * Testcontainers 12.2.0's messages (build/container-runtime/clients/client.js "Could not find a working container
 * runtime strategy"; build/wait-strategies/log-wait-strategy.js `Log message "…" not received after …ms`;
 * build/generic-container/inspect-container-util-ports-exposed.js "Timed out after …ms while waiting for container ports to be
 * bound to the host") and the engine's pull error (moby: `Get "https://…/v2/": …`, `pull access denied`, `not found`).
 */
export function explainStartFailure(failure: StartFailure): string {
  const { message, image } = failure;
  if (/Could not find a working container runtime strategy/.test(message)) {
    return (
      `Testcontainers found no usable Docker engine (${message}). It tries DOCKER_HOST, ~/.testcontainers.properties and the usual sockets, and ` +
      'where this process runs in a container (/.dockerenv) it resolves the engine\'s host through the gateway of the network `bridge`, which an ' +
      'engine started with --bridge=none lacks. Check `docker info`; set TESTCONTAINERS_HOST_OVERRIDE=localhost when the engine runs on this machine ' +
      '(the harness sets it itself when the engine has no bridge network); DEBUG=testcontainers* shows each strategy it tried.'
    );
  }
  const registry = /v2\/|pull access denied|manifest unknown|no such host|proxyconnect|TLS handshake|i\/o timeout|not found: manifest|repository does not exist/i;
  if (registry.test(message) && failure.imagePresent === false) {
    return (
      `The image ${image} is not on this Docker engine and could not be pulled: ${message}. On a machine without registry access, ` +
      `load it from a file (docker load -i localstack.tar, saved elsewhere with docker save ${image}), or set HARNESS_LOCALSTACK_IMAGE to an image the engine has.`
    );
  }
  if (registry.test(message) && !failure.ryukDisabled) {
    return (
      `Testcontainers could not start Ryuk, its clean-up container (testcontainers/ryuk), whose image could not be pulled: ${message}. ` +
      'Set TESTCONTAINERS_RYUK_DISABLED=true: the harness removes every container, volume and network it starts by itself, also on Ctrl-C. ' +
      'Ryuk also cannot run on an engine without a bridge network (it publishes a port), where the harness disables it on its own.'
    );
  }
  if (/waiting for container ports to be bound/.test(message)) {
    return (
      `${message}: Testcontainers waits a fixed 10 s for Docker to report the port mapping, whatever the startup timeout ` +
      '(testcontainers-node#1446; seen on loaded 2-vCPU runners). Nothing was left running. Start fewer containers at once and retry; on an engine ' +
      'without a bridge network set HARNESS_DOCKER_NETWORK=host (the harness does so itself when the engine has no bridge network).'
    );
  }
  if (/Log message .* not received after/.test(message)) {
    return (
      `LocalStack did not log "Ready." within ${failure.startupTimeoutMs / 1000} s (${message}). The container log below says how far it got; ` +
      'a first start that pulls or activates a licence can take longer: set HARNESS_LOCALSTACK_START_TIMEOUT=<seconds>.'
    );
  }
  return message;
}

/** HARNESS_LOCALSTACK_START_TIMEOUT (seconds): how long to wait for `Ready.`; @default 120, @testcontainers/localstack's own. */
export function startupTimeoutMs(env: NodeJS.ProcessEnv): number {
  const raw = env.HARNESS_LOCALSTACK_START_TIMEOUT?.trim();
  if (!raw) return 120_000;
  const seconds = Number(raw);
  if (!Number.isFinite(seconds) || seconds <= 0) throw new Error(`HARNESS_LOCALSTACK_START_TIMEOUT="${raw}" is not a positive number of seconds.`);
  return Math.round(seconds * 1000);
}

/** HARNESS_LOCALSTACK_PORT: LocalStack's port on the host network (GATEWAY_LISTEN); @default 4566, LocalStack's own. */
export function hostNetworkPort(env: NodeJS.ProcessEnv): number {
  const raw = env.HARNESS_LOCALSTACK_PORT?.trim();
  if (!raw) return 4566;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`HARNESS_LOCALSTACK_PORT="${raw}" is not a TCP port (1–65535).`);
  return port;
}
