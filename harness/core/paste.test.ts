import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { hostView, pasteableLines, shellQuote } from './paste.ts';

/** What a POSIX shell makes of a pasted word: the observable test of quoting. */
function pasted(word: string): string {
  const result = spawnSync('sh', ['-c', `printf '%s' ${word}`], { encoding: 'utf8', env: { PATH: process.env.PATH } });
  expect(result.status, result.stderr).toBe(0);
  return result.stdout;
}

// LocalStack's path-style URL for an HTTP API's $default stage (DESIGN.md; localstack/localstack
// services/apigateway/next_gen/execute_api/router.py takes the stage segment).
const API_URL = 'http://localhost:4566/_aws/execute-api/a1b2c3d4/$default';

describe('shellQuote', () => {
  it.each([API_URL, `${API_URL}/myHelloVPCLambda`, '/home/dev/my project/.efs/lambda', "/tmp/it's here", '/plain/path-1.2_x', ''])(
    'should survive a paste into sh: %s',
    (word) => {
      expect(pasted(shellQuote(word))).toBe(word);
    },
  );

  it('should show that an unquoted $default URL loses its stage in a shell (the bug)', () => {
    expect(pasted(API_URL)).toBe('http://localhost:4566/_aws/execute-api/a1b2c3d4/');
  });

  it('should leave plain paths as they are', () => {
    expect(shellQuote('/srv/efs/lambda')).toBe('/srv/efs/lambda');
  });
});

describe('hostView', () => {
  // What compose's deployer has (docker-compose.yml, service `deployer`).
  const COMPOSE_ENV = {
    HARNESS_ENDPOINT: 'http://localstack:4566',
    HARNESS_EFS_DIR: '/project/.efs',
    HARNESS_PUBLIC_ENDPOINT: 'http://localhost:4566',
    HARNESS_PUBLIC_EFS_DIR: '/home/dev/my project/.efs',
  };
  const inContainer = {
    apiUrl: 'http://localstack:4566/_aws/execute-api/a1b2c3d4/$default',
    awsEndpoint: 'http://localstack:4566',
    efsDir: '/project/.efs/lambda',
  };

  it("should name the endpoint and the EFS folder as the host does in compose's deployer", () => {
    expect(hostView(inContainer, COMPOSE_ENV)).toEqual({ apiUrl: API_URL, efsDir: '/home/dev/my project/.efs/lambda' });
  });

  it('should change nothing on the host', () => {
    const onHost = { apiUrl: API_URL, awsEndpoint: 'http://localhost:4566', efsDir: '/home/dev/p/.efs/lambda' };
    expect(hostView(onHost, { HARNESS_EFS_DIR: '' })).toEqual({ apiUrl: API_URL, efsDir: onHost.efsDir });
  });

  it('should not rewrite a folder that only starts with the same letters', () => {
    expect(hostView({ ...inContainer, efsDir: '/project/.efs-other/lambda' }, COMPOSE_ENV).efsDir).toBe('/project/.efs-other/lambda');
  });
});

describe('pasteableLines', () => {
  it('should print the API, a curl of the greeting and the EFS folder, each pasteable as printed', () => {
    const lines = pasteableLines({ apiUrl: API_URL, efsDir: '/home/dev/my project/.efs/lambda' }, '/mnt/msg');
    expect(lines).toEqual([
      `API:        '${API_URL}'`,
      `Greeting:   curl '${API_URL}/myHelloVPCLambda'`,
      "EFS folder: '/home/dev/my project/.efs/lambda'  (what the function sees at /mnt/msg)",
    ]);
    expect(pasted(lines[1]!.replace(/^Greeting: +curl /, ''))).toBe(`${API_URL}/myHelloVPCLambda`);
  });

  it('should print no EFS line on a target without one (aws)', () => {
    expect(pasteableLines({ apiUrl: 'https://abc.execute-api.eu-west-1.amazonaws.com' }, '/mnt/msg')).toHaveLength(2);
  });
});
