import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../core/run.ts';
import { COMPOSE_PATH, loadCompose, parseEnvFile, projectEnvironment, validateCompose } from './compose.ts';

// What `docker compose --env-file .env.example config` would say, on a machine without Compose v2 (the real
// command's tests, in harness/validate/compose-file.test.ts, are skipped there).

const composeText = readFileSync(COMPOSE_PATH, 'utf8');
// A token is the one thing .env.example leaves for the user to fill in.
const withToken = projectEnvironment({ LOCALSTACK_AUTH_TOKEN: 'dummy-token-for-config-check' });

describe('docker-compose.yml against the Compose Specification schema', () => {
  it('should be valid once interpolated with .env.example and a token', () => {
    expect(validateCompose(loadCompose(composeText, withToken))).toEqual([]);
  });

  it('should be valid with HARNESS_EFS_DIR and HARNESS_LOCALSTACK_TAG set as well', () => {
    const config = loadCompose(composeText, projectEnvironment({ LOCALSTACK_AUTH_TOKEN: 't', HARNESS_EFS_DIR: '/srv/efs', HARNESS_LOCALSTACK_TAG: '2026.10.1' }));
    expect(validateCompose(config)).toEqual([]);
    expect((config.services as Record<string, { image: string }>).localstack?.image).toBe('localstack/localstack:2026.10.1');
  });

  it("should build the EFS folder from the project's PWD when .env.example leaves HARNESS_EFS_DIR empty", () => {
    type Volume = string | { type?: string; source?: string; target?: string; bind?: { create_host_path?: boolean } };
    const services = loadCompose(composeText, withToken).services as Record<string, { volumes?: Volume[]; environment?: Record<string, string> }>;
    expect(services.deployer?.volumes).toContainEqual({
      type: 'bind',
      source: `${PROJECT_ROOT}/.efs`,
      target: '/project/.efs',
      bind: { create_host_path: false },
    });
    expect(services.localstack?.environment?.LAMBDA_DOCKER_FLAGS).toBe(`-v "${PROJECT_ROOT}/.efs/lambda:/mnt/msg"`);
  });

  it('should load without a token, so that `docker compose down -v` works, and tell only auth-token that it is missing', () => {
    const services = loadCompose(composeText, projectEnvironment()).services as Record<string, { environment?: Record<string, string> }>;
    expect(services['auth-token']?.environment?.LOCALSTACK_AUTH_TOKEN_SET).toBe('');
    expect(services.localstack?.environment?.LOCALSTACK_AUTH_TOKEN).toBe('');
    const withTokenServices = loadCompose(composeText, withToken).services as Record<string, { environment?: Record<string, string> }>;
    expect(withTokenServices['auth-token']?.environment?.LOCALSTACK_AUTH_TOKEN_SET).toBe('yes');
  });

  it('should reject a misspelled key, naming the service and the key', () => {
    const misspelled = composeText.replace('    healthcheck:\n', '    healthchek:\n');
    expect(misspelled).not.toBe(composeText);
    expect(validateCompose(loadCompose(misspelled, withToken))[0]).toBe("services.localstack additional property 'healthchek' is not allowed");
  });

  it('should reject a value of the wrong type, naming where it is', () => {
    const wrong = composeText.replace('profiles: [scenarios]', 'profiles: scenarios');
    expect(wrong).not.toBe(composeText);
    expect(validateCompose(loadCompose(wrong, withToken))).toContain('services.scenarios.profiles must be array');
  });

  it('should reject a misspelled key inside the merged x-node block, where every service that merges it gets it', () => {
    const misspelled = composeText.replace('  working_dir: /project\n', '  workdir: /project\n');
    expect(misspelled).not.toBe(composeText);
    expect(validateCompose(loadCompose(misspelled, withToken))).toEqual([
      "services.deployer additional property 'workdir' is not allowed",
      "services.watcher additional property 'workdir' is not allowed",
      "services.scenarios additional property 'workdir' is not allowed",
    ]);
  });

  it('should know the keys Compose added since 2023 (develop.watch, healthcheck start_interval)', () => {
    const config = loadCompose(composeText, withToken);
    const services = config.services as Record<string, Record<string, unknown>>;
    services.localstack!.healthcheck = { ...(services.localstack!.healthcheck as object), start_interval: '1s' };
    services.scenarios!.develop = { watch: [{ action: 'sync', path: './scenarios', target: '/project/scenarios' }] };
    expect(validateCompose(config)).toEqual([]);
  });
});

describe('parseEnvFile', () => {
  it('should read .env.example: every variable it documents, empty', () => {
    expect(parseEnvFile(readFileSync(`${PROJECT_ROOT}/.env.example`, 'utf8'))).toEqual({
      LOCALSTACK_AUTH_TOKEN: '',
      HARNESS_LOCALSTACK_TAG: '',
      HARNESS_EFS_DIR: '',
      HARNESS_LOCALSTACK_EFS: '',
      HARNESS_EFS_BRIDGE: '',
    });
  });

  it('should refuse a line it does not understand rather than guess', () => {
    expect(() => parseEnvFile('# comment\nA=1\nexport B="2"\n')).toThrow('Unsupported line 3 in the env file: "export B=\\"2\\""');
  });
});
