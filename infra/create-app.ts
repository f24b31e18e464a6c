import { App, Tags } from 'aws-cdk-lib';
import { HelloVpcLambdaStack } from './stack.ts';

export interface CreateAppOptions {
  readonly outdir?: string;
  readonly stackName?: string;
  readonly inspector?: boolean;
  readonly tags?: Record<string, string>;
}

/** The one place the app is built: by the CDK CLI (app.ts) and, in process, by the harness. */
export function createApp(options: CreateAppOptions = {}): { app: App; stack: HelloVpcLambdaStack } {
  const app = new App({ ...(options.outdir ? { outdir: options.outdir } : {}), context: { 'aws:cdk:enable-asset-metadata': true } });
  const stack = new HelloVpcLambdaStack(app, options.stackName ?? 'HelloVpcLambda', { inspector: options.inspector ?? false });
  for (const [key, value] of Object.entries(options.tags ?? {})) Tags.of(stack).add(key, value);
  return { app, stack };
}
