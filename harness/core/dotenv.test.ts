import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeDotEnv, DOTENV_PATH, loadDotEnv } from './dotenv.ts';
import { PROJECT_ROOT } from './run.ts';
import { selectTarget } from '../launch/select.ts';
import { endpointSettings } from '../targets/endpoint/index.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'dotenv-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const TOKEN = 'ls-SeCrEt1234TokenValue';
/** The forms a person writes after `cp .env.example .env`, and a few more. */
const FILE_TEXT = [
  '# comment',
  `LOCALSTACK_AUTH_TOKEN=${TOKEN}`,
  'HARNESS_EFS_DIR="/srv/my efs"  # quoted, with a comment',
  'HARNESS_LOCALSTACK_TAG=',
  'export HARNESS_STACK_NAME=FromDotEnv',
  "SINGLE='a $b'",
  '',
].join('\n');

function envFile(text: string = FILE_TEXT): string {
  const file = path.join(dir, `${readdirSync(dir).length}.env`);
  writeFileSync(file, text);
  return file;
}

describe('loadDotEnv', () => {
  // Source: compose-spec/compose-go@e70e961c3a3acebf0800b882f1afb3dbf1fb74a2 cli/options.go (WithEnvFiles:
  // without --env-file, `.env` in the project's working directory) and types/mapping.go (Merge keeps a name already
  // set); docker/compose@f72979427042620a94dd52ce78b39c68cb02c085 cmd/compose/compose.go applies cli.WithOsEnv before
  // cli.WithDotEnv, "always win": a variable the shell sets, even to '', is never taken from the file.
  it('should read <project>/.env, the file docker compose reads', () => {
    expect(DOTENV_PATH).toBe(path.join(PROJECT_ROOT, '.env'));
  });

  it('should set what the shell does not, and keep what the shell sets, even empty', () => {
    const env: NodeJS.ProcessEnv = { HARNESS_STACK_NAME: 'FromShell', HARNESS_LOCALSTACK_TAG: '' };
    const file = envFile();
    expect(loadDotEnv(env, file)).toEqual({
      file,
      loaded: ['HARNESS_EFS_DIR', 'LOCALSTACK_AUTH_TOKEN', 'SINGLE'],
      kept: ['HARNESS_LOCALSTACK_TAG', 'HARNESS_STACK_NAME'],
    });
    expect(env).toEqual({
      LOCALSTACK_AUTH_TOKEN: TOKEN,
      HARNESS_EFS_DIR: '/srv/my efs',
      HARNESS_LOCALSTACK_TAG: '',
      HARNESS_STACK_NAME: 'FromShell',
      SINGLE: 'a $b',
    });
  });

  it("should end with the very environment Node's process.loadEnvFile gives", () => {
    const file = envFile();
    const shell = { HARNESS_STACK_NAME: 'FromShell', HARNESS_LOCALSTACK_TAG: '' };
    const names = ['LOCALSTACK_AUTH_TOKEN', 'HARNESS_EFS_DIR', 'HARNESS_LOCALSTACK_TAG', 'HARNESS_STACK_NAME', 'SINGLE'];
    const script = `process.loadEnvFile(${JSON.stringify(file)}); process.stdout.write(JSON.stringify(Object.fromEntries(${JSON.stringify(names)}.map((n) => [n, process.env[n]]))));`;
    const node = JSON.parse(execFileSync(process.execPath, ['-e', script], { env: { PATH: process.env.PATH, ...shell }, encoding: 'utf8' })) as Record<string, string>;
    const ours: NodeJS.ProcessEnv = { ...shell };
    loadDotEnv(ours, file);
    expect(ours).toEqual(node);
  });

  it('should read nothing and say nothing when there is no file', () => {
    const env: NodeJS.ProcessEnv = {};
    const result = loadDotEnv(env, path.join(dir, 'absent.env'));
    expect(result).toEqual({ loaded: [], kept: [] });
    expect(env).toEqual({});
    expect(describeDotEnv(result)).toBeUndefined();
  });

  it('should name the file and the variables, never a value', () => {
    const file = envFile();
    const line = describeDotEnv(loadDotEnv({ HARNESS_STACK_NAME: 'FromShell' }, file));
    expect(line).toBe(`env: read ${file} (set HARNESS_EFS_DIR, HARNESS_LOCALSTACK_TAG, LOCALSTACK_AUTH_TOKEN, SINGLE; your shell's value kept for HARNESS_STACK_NAME)`);
    expect(line).not.toContain(TOKEN);
    expect(line).not.toContain('/srv/my efs');
  });

  it('should let a host endpoint run use the EFS folder compose uses, and the token choose LocalStack', async () => {
    const env: NodeJS.ProcessEnv = {};
    loadDotEnv(env, envFile());
    expect(endpointSettings(env).efsRoot).toBe('/srv/my efs');
    expect(await selectTarget(env, async () => true)).toMatchObject({ target: 'localstack' });
  });
});

describe('CLI entry points', () => {
  it('should each load .env before anything else runs', () => {
    const cliDir = path.join(PROJECT_ROOT, 'harness', 'cli');
    const entries = readdirSync(cliDir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
    expect(entries.length).toBeGreaterThan(0);
    for (const file of entries) {
      const statements = readFileSync(path.join(cliDir, file), 'utf8')
        .replace(/\/\*[\s\S]*?\*\//g, '')
        .split('\n')
        .filter((line) => line.trim() && !line.startsWith('import ') && !line.startsWith('//'));
      expect(statements[0], file).toBe('loadProjectEnv();');
    }
    const setup = readFileSync(path.join(PROJECT_ROOT, 'scenarios', 'support', 'global-setup.ts'), 'utf8');
    expect(setup).toMatch(/export default async function setup[^{]*\{\n {2}const progress = new Progress\(\);\n(?: {2}\/\/.*\n)* {2}loadProjectEnv\(/);
  });
});
