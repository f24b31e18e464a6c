import { App, Tags } from 'aws-cdk-lib';
import type { Environment } from 'aws-cdk-lib';
import { HelloVpcLambdaStack, type HelloVpcLambdaStackProps } from './stack.ts';

export interface CreateAppOptions {
  /**
   * Folder the cloud assembly is written to.
   *
   * @default - `CDK_OUTDIR` when the CDK CLI runs the app, a new temporary folder otherwise
   */
  readonly outdir?: string;
  /**
   * Name of the stack, and prefix of its function names: unique per deployment on shared targets.
   *
   * @default 'HelloVpcLambda' (also when empty, so that an empty environment variable means unset)
   */
  readonly stackName?: string;
  /**
   * Deploy the read-only inspector function, for test stacks on real AWS.
   *
   * @default false
   */
  readonly inspector?: boolean;
  /**
   * Host folder holding one code folder per function, for LocalStack hot reloading (see the stack's prop).
   *
   * @default - no hot reloading
   */
  readonly hotReloadDir?: string;
  /**
   * Tags for the stack and every resource in it that takes tags.
   *
   * @default - no tags
   */
  readonly tags?: Record<string, string>;
  /**
   * The account and region the stack may be deployed to. The CDK CLI then refuses credentials of any other
   * account instead of deploying there.
   *
   * @default - environment-agnostic: deployable anywhere (local targets, `cdk synth`)
   */
  readonly env?: Required<Pick<Environment, 'account' | 'region'>>;
  /** @default - see HelloVpcLambdaStackProps.throttle */
  readonly throttle?: HelloVpcLambdaStackProps['throttle'];
  /** @default - see HelloVpcLambdaStackProps.reservedConcurrency */
  readonly reservedConcurrency?: number;
}

/**
 * Context of every synthesis. The CDK CLI passes cdk.json's context on top of this, so cdk.json repeats the
 * feature flag (a unit test keeps them equal): `cdk synth` and the harness's in-process synthesis give the
 * same template. The `aws:` keys stay out of cdk.json: the CLI warns that they are reserved there.
 */
const CONTEXT = {
  // The harness finds each function's bundled code through the template's `aws:asset:path` metadata.
  'aws:cdk:enable-asset-metadata': true,
  // Construct paths in the template, as the CLI writes them by default: both ways give the same template.
  'aws:cdk:enable-path-metadata': true,
  // Mount targets are named after their subnets rather than their order (recommended since aws-cdk-lib 2.93).
  '@aws-cdk/aws-efs:mountTargetOrderInsensitiveLogicalId': true,
};

const DEFAULT_STACK_NAME = 'HelloVpcLambda';

/** Builds the app: for the CDK CLI (app.ts) and, in process, for the harness and the unit tests. */
export function createApp(options: CreateAppOptions = {}): { app: App; stack: HelloVpcLambdaStack } {
  const app = new App({
    ...(options.outdir ? { outdir: options.outdir } : {}),
    context: CONTEXT,
    // No AWS::CDK::Metadata resource: it changes with every aws-cdk-lib release, and the template is the
    // harness's source of truth and the snapshot test's subject. A prop, because the CLI's context would
    // override a context value.
    analyticsReporting: false,
  });
  const stackName = options.stackName || DEFAULT_STACK_NAME;
  const stack = new HelloVpcLambdaStack(app, stackName, {
    stackName,
    inspector: options.inspector ?? false,
    ...(options.env ? { env: options.env } : {}),
    ...(options.throttle ? { throttle: options.throttle } : {}),
    ...(options.reservedConcurrency === undefined ? {} : { reservedConcurrency: options.reservedConcurrency }),
    ...(options.hotReloadDir ? { hotReloadDir: options.hotReloadDir } : {}),
  });
  for (const [key, value] of Object.entries(options.tags ?? {})) Tags.of(stack).add(key, value);
  return { app, stack };
}
