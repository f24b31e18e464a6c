import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { cdkBootstrapCommand, cdkDeployCommand } from '../../model/cdk.ts';
import { cdklocalEnvironment, type Lookup, s3EndpointFor } from './cdklocal-env.ts';

// aws-cdk-local's own environment filter, exactly as bin/cdklocal applies it before it runs aws-cdk.
const { configureEnvironment } = createRequire(import.meta.url)('aws-cdk-local/src/index.js') as {
  configureEnvironment(env: NodeJS.ProcessEnv, allowList: string): void;
};

const USER_ENV: NodeJS.ProcessEnv = {
  PATH: '/usr/bin',
  HOME: '/home/ada',
  AWS_PROFILE: 'production',
  AWS_ACCESS_KEY_ID: 'AKIAREALKEY123456789',
  AWS_SECRET_ACCESS_KEY: 'real-secret-key-value',
  AWS_REGION: 'eu-west-3',
  LOCALSTACK_AUTH_TOKEN: 'ls-AbCd1234-EfGh-5678-IjKl-9012MnOp3456',
  LOCALSTACK_HOSTNAME: 'elsewhere',
  EDGE_PORT: '4510',
};

describe('cdklocalEnvironment', () => {
  it('should be exactly the endpoint, region, dummy credentials and allow-list on top of the non-AWS environment', () => {
    expect(cdklocalEnvironment({ endpoint: 'http://localhost:32771/', region: 'us-east-1', base: USER_ENV })).toEqual({
      PATH: '/usr/bin',
      HOME: '/home/ada',
      AWS_ENDPOINT_URL: 'http://localhost:32771',
      AWS_ENDPOINT_URL_S3: 'http://localhost:32771',
      AWS_ENVAR_ALLOWLIST: 'AWS_REGION,AWS_DEFAULT_REGION,AWS_ACCESS_KEY_ID,AWS_SECRET_ACCESS_KEY,AWS_S3_FORCE_PATH_STYLE',
      AWS_REGION: 'us-east-1',
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_S3_FORCE_PATH_STYLE: 'true',
      CDK_DISABLE_CLI_TELEMETRY: 'true',
      CDK_DISABLE_VERSION_CHECK: 'true',
    });
  });

  it('should survive aws-cdk-local 3.x filtering unchanged: our endpoint, region and credentials are what it uses', () => {
    const env = cdklocalEnvironment({ endpoint: 'http://127.0.0.1:4566', region: 'us-east-1', base: USER_ENV });
    const seen = { ...env };
    configureEnvironment(seen, env.AWS_ENVAR_ALLOWLIST!);
    expect(seen).toMatchObject({
      AWS_ENDPOINT_URL: 'http://127.0.0.1:4566',
      AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:4566',
      AWS_REGION: 'us-east-1',
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_S3_FORCE_PATH_STYLE: 'true',
    });
    expect(Object.keys(seen).filter((k) => k.startsWith('AWS_')).sort()).toEqual(
      ['AWS_ACCESS_KEY_ID', 'AWS_DEFAULT_REGION', 'AWS_ENDPOINT_URL', 'AWS_ENDPOINT_URL_S3', 'AWS_REGION', 'AWS_S3_FORCE_PATH_STYLE', 'AWS_SECRET_ACCESS_KEY'],
    );
  });

  it('should never hand the LocalStack token, the user\'s AWS keys or profile to cdklocal', () => {
    const env = cdklocalEnvironment({ endpoint: 'http://127.0.0.1:4566', region: 'us-east-1', base: USER_ENV });
    const all = JSON.stringify(env);
    for (const secret of ['ls-AbCd1234', 'AKIAREALKEY', 'real-secret-key-value', 'production', 'elsewhere', '4510']) {
      expect(all).not.toContain(secret);
    }
  });

  it('should make the cdklocal command lines run with this environment', () => {
    const env = cdklocalEnvironment({ endpoint: 'http://127.0.0.1:4566', region: 'us-east-1', base: USER_ENV });
    const bootstrap = cdkBootstrapCommand({ cli: 'cdklocal', assemblyDir: '/run/cdk.out', env, environment: 'aws://000000000000/us-east-1' });
    expect(bootstrap.args[0]).toMatch(/aws-cdk-local\/bin\/cdklocal$/);
    expect(bootstrap.args.slice(1, 3)).toEqual(['bootstrap', 'aws://000000000000/us-east-1']);
    expect(bootstrap.env).toBe(env);
    const deploy = cdkDeployCommand({
      cli: 'cdklocal',
      assemblyDir: '/run/cdk.out',
      stackName: 'harness-20261126-101500-ab12',
      outputsFile: '/run/outputs.json',
      tags: { 'harness:assembly-hash': 'f'.repeat(64) },
      env,
    });
    expect(deploy.args.slice(1)).toEqual(expect.arrayContaining(['deploy', 'harness-20261126-101500-ab12', '--tags', `harness:assembly-hash=${'f'.repeat(64)}`]));
    expect(deploy.env.AWS_ENDPOINT_URL).toBe('http://127.0.0.1:4566');
  });
});

describe('s3EndpointFor', () => {
  const answers: Record<string, { address: string; family: number }> = {
    localhost: { address: '127.0.0.1', family: 4 },
    localstack: { address: '172.18.0.2', family: 4 },
  };
  const lookup: Lookup = async (host, { family }) => {
    if (host === 'v6only') {
      if (family === 4) throw new Error('ENOTFOUND v6only');
      return { address: 'fd00::2', family: 6 };
    }
    const answer = answers[host];
    if (!answer) throw new Error(`getaddrinfo ENOTFOUND ${host}`);
    return answer;
  };

  it('should give the host an IP literal, so that the SDK uses path-style S3 URLs', async () => {
    expect(await s3EndpointFor('http://localhost:32771', lookup)).toBe('http://127.0.0.1:32771');
    expect(await s3EndpointFor('http://localstack:4566/', lookup)).toBe('http://172.18.0.2:4566');
    expect(await s3EndpointFor('http://v6only:4566', lookup)).toBe('http://[fd00::2]:4566');
  });

  it('should keep an endpoint that already is an IP literal', async () => {
    const never: Lookup = () => Promise.reject(new Error('not to be called'));
    expect(await s3EndpointFor('http://127.0.0.1:4566/', never)).toBe('http://127.0.0.1:4566');
    expect(await s3EndpointFor('http://[::1]:4566', never)).toBe('http://[::1]:4566');
  });

  it('should say which host could not be resolved', async () => {
    await expect(s3EndpointFor('http://nowhere:4566', lookup)).rejects.toThrow(/Cannot resolve nowhere \(from the emulator endpoint http:\/\/nowhere:4566\): getaddrinfo ENOTFOUND nowhere/);
  });

  it('should be what cdklocal gets as AWS_ENDPOINT_URL_S3, next to the unchanged AWS_ENDPOINT_URL', async () => {
    const env = cdklocalEnvironment({ endpoint: 'http://localhost:32771', s3Endpoint: await s3EndpointFor('http://localhost:32771', lookup), region: 'us-east-1', base: {} });
    expect(env.AWS_ENDPOINT_URL).toBe('http://localhost:32771');
    expect(env.AWS_ENDPOINT_URL_S3).toBe('http://127.0.0.1:32771');
  });
});
