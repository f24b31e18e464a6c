import { createApp } from './create-app.ts';

createApp({ stackName: process.env.HARNESS_STACK_NAME, inspector: process.env.HARNESS_INSPECTOR === '1' }).app.synth();
