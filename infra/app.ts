import { createApp } from './create-app.ts';

// The CDK CLI's entry point (cdk.json). Environment-agnostic: no account or region is needed to synthesize.
createApp({ stackName: process.env.HARNESS_STACK_NAME, inspector: process.env.HARNESS_INSPECTOR === '1' }).app.synth();
