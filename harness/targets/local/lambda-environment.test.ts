import { describe, expect, it } from 'vitest';
import type { FunctionModel } from '../../model/assembly.ts';
import { lambdaEnvironment, PLACEHOLDER_CREDENTIALS } from './lambda-environment.ts';

// Both runtime modes take the function's environment from lambdaEnvironment, so the differential test cannot judge
// it: this checks it against AWS's table instead. "Defined runtime environment variables",
// https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime, transcribed
// (the page as of 2026; this session had no copy of it to fetch, so the list is the table's names as published).
const RESERVED = [
  '_HANDLER',
  '_X_AMZN_TRACE_ID',
  'AWS_DEFAULT_REGION',
  'AWS_REGION',
  'AWS_EXECUTION_ENV',
  'AWS_LAMBDA_FUNCTION_NAME',
  'AWS_LAMBDA_FUNCTION_MEMORY_SIZE',
  'AWS_LAMBDA_FUNCTION_VERSION',
  'AWS_LAMBDA_INITIALIZATION_TYPE',
  'AWS_LAMBDA_LOG_GROUP_NAME',
  'AWS_LAMBDA_LOG_STREAM_NAME',
  'AWS_ACCESS_KEY',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_LAMBDA_RUNTIME_API',
  'LAMBDA_TASK_ROOT',
  'LAMBDA_RUNTIME_DIR',
] as const;
const fn: FunctionModel = {
  logicalId: 'Fn',
  functionName: 'hello-fn',
  handler: 'index.handler',
  runtime: 'nodejs24.x',
  timeoutSeconds: 10,
  memoryMb: 256,
  ephemeralStorageMb: 512,
  environment: { EFS_MOUNT_PATH: '/mnt/msg' },
  assetDir: '/asset',
};

describe('lambdaEnvironment', () => {
  it('should define every reserved variable of the documented table, with the values Lambda gives them', () => {
    const env = lambdaEnvironment({ fn, region: 'eu-west-1', functionEnvironment: fn.environment, taskRoot: '/var/task', runtimeDir: '/var/runtime', runtimeApi: '127.0.0.1:9001' });
    // _X_AMZN_TRACE_ID is set per invocation from the trace header (bootstrap.ts; the client's moveXRayHeaderToEnv).
    expect(RESERVED.filter((name) => !(name in env))).toEqual(['_X_AMZN_TRACE_ID']);
    expect(env).toMatchObject({
      _HANDLER: 'index.handler',
      AWS_REGION: 'eu-west-1',
      AWS_DEFAULT_REGION: 'eu-west-1',
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
      AWS_LAMBDA_FUNCTION_NAME: 'hello-fn',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256',
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
      AWS_LAMBDA_LOG_GROUP_NAME: '/aws/lambda/hello-fn',
      AWS_LAMBDA_RUNTIME_API: '127.0.0.1:9001',
      LAMBDA_TASK_ROOT: '/var/task',
      LAMBDA_RUNTIME_DIR: '/var/runtime',
      // Unreserved ones the runtime sets: "LANG – The locale of the runtime (en_US.UTF-8)", "TZ – (:UTC)".
      LANG: 'en_US.UTF-8',
      TZ: ':UTC',
      EFS_MOUNT_PATH: '/mnt/msg',
    });
    expect(env.AWS_LAMBDA_LOG_STREAM_NAME).toMatch(/^\d{4}\/\d{2}\/\d{2}\/\[\$LATEST\][0-9a-f]{32}$/);
    expect(env.AWS_ACCESS_KEY).toBe(env.AWS_ACCESS_KEY_ID);
  });

  // Process mode talks to its child over IPC: no Runtime API address.
  it("should leave AWS_LAMBDA_RUNTIME_API out in process mode, and never pass on the harness's own credentials", () => {
    process.env.AWS_ACCESS_KEY_ID = 'AKIAUSERSOWNKEY00000';
    process.env.AWS_SECRET_ACCESS_KEY = 'users-own-secret';
    try {
      const env = lambdaEnvironment({ fn, region: 'us-east-1', functionEnvironment: {}, taskRoot: '/asset', runtimeDir: '/harness' });
      expect(env).not.toHaveProperty('AWS_LAMBDA_RUNTIME_API');
      expect(env).toMatchObject(PLACEHOLDER_CREDENTIALS);
      expect(JSON.stringify(env)).not.toContain('users-own-secret');
      expect(JSON.stringify(env)).not.toContain('AKIAUSERSOWNKEY00000');
    } finally {
      delete process.env.AWS_ACCESS_KEY_ID;
      delete process.env.AWS_SECRET_ACCESS_KEY;
    }
  });

  it("should use the target's credentials when it has them (LocalStack's test keys)", () => {
    const credentials = { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_SESSION_TOKEN: 'test' };
    expect(lambdaEnvironment({ fn, region: 'us-east-1', functionEnvironment: {}, taskRoot: '/a', runtimeDir: '/b', credentials })).toMatchObject({ ...credentials, AWS_ACCESS_KEY: 'test' });
  });
});
