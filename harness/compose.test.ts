import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MountModel, synthesize } from './assembly.ts';
import { DEFAULT_LOCALSTACK_IMAGE } from './localstack/container.ts';
import { redact } from './redact.ts';
import { PROJECT_ROOT } from './run.ts';

// docker-compose.yml cannot run here (no registry, no token): these tests check what it would do, reading the
// mount path and access point root from the synthesized template so that the file cannot drift from infra.

interface Service {
  image: string;
  ports?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  profiles?: string[];
  networks?: string[];
  working_dir?: string;
  command?: string[];
  restart?: string;
}
interface ComposeFile {
  services: Record<string, Service>;
  networks: Record<string, { name?: string }>;
}

const COMPOSE_PATH = path.join(PROJECT_ROOT, 'docker-compose.yml');
const composeText = readFileSync(COMPOSE_PATH, 'utf8');
// Compose honours YAML merge keys (`<<: *node`); the yaml package does when asked.
const compose = parse(composeText, { merge: true }) as ComposeFile;
const envExample = readFileSync(path.join(PROJECT_ROOT, '.env.example'), 'utf8');

function service(name: string): Service {
  const found = compose.services[name];
  if (!found) throw new Error(`docker-compose.yml has no service "${name}".`);
  return found;
}

function env(name: string, variable: string): string {
  const value = service(name).environment?.[variable];
  if (value === undefined) throw new Error(`Service "${name}" does not set ${variable}.`);
  return value;
}

/**
 * Compose's interpolation for the forms this file uses: `${VAR}`, `${VAR:-default}` (nested) and
 * `${VAR:?error}`. Any other form throws, so a new one gets a test before it gets used.
 */
function interpolate(text: string, vars: Readonly<Record<string, string>>): string {
  let out = '';
  for (let i = 0; i < text.length; ) {
    if (text.startsWith('$$', i)) {
      out += '$';
      i += 2;
    } else if (text.startsWith('${', i)) {
      let depth = 0;
      let end = i + 1;
      for (; end < text.length; end++) {
        if (text[end] === '{') depth++;
        if (text[end] === '}' && --depth === 0) break;
      }
      const inner = text.slice(i + 2, end);
      const [, name = '', operator, operand = ''] = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:-|:\?)([\s\S]*))?$/.exec(inner) ?? [];
      if (!name) throw new Error(`Unsupported interpolation \${${inner}} in docker-compose.yml.`);
      const value = vars[name] ?? '';
      if (value !== '' || operator === undefined) out += value;
      else if (operator === ':-') out += interpolate(operand, vars);
      else throw new Error(interpolate(operand, vars));
      i = end + 1;
    } else {
      out += text[i++];
    }
  }
  return out;
}

/** Splits flags the way LocalStack reads LAMBDA_DOCKER_FLAGS (Python's shlex.split), for quotes and spaces. */
function shellSplit(flags: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let quote: string | undefined;
  for (const ch of flags) {
    if (quote) {
      if (ch === quote) quote = undefined;
      else word += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      word ??= '';
    } else if (/\s/.test(ch)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else {
      word = (word ?? '') + ch;
    }
  }
  if (quote) throw new Error(`Unclosed ${quote} in ${flags}`);
  if (word !== undefined) words.push(word);
  return words;
}

/** `source:target` of a short-syntax volume after interpolation (targets here carry no `:` and no mode). */
function splitVolume(volume: string): { source: string; target: string } {
  const colon = volume.lastIndexOf(':');
  return { source: volume.slice(0, colon), target: volume.slice(colon + 1) };
}

/** Host environments to resolve the file with: the default EFS folder (a path with a space) and an override. */
const HOSTS: readonly Record<string, string>[] = [{ PWD: '/home/dev/my project' }, { PWD: '/p', HARNESS_EFS_DIR: '/srv/efs' }];

let outdir: string;
let mount: MountModel;
let runtime: string;

beforeAll(async () => {
  outdir = mkdtempSync(path.join(tmpdir(), 'compose-test-'));
  const model = await synthesize({ stackName: 'ComposeTest', outdir });
  if (!model.apiFunction.mount) throw new Error('The API function mounts no file system in the template.');
  mount = model.apiFunction.mount;
  runtime = model.apiFunction.runtime;
}, 120_000);

afterAll(() => rmSync(outdir, { recursive: true, force: true }));

describe('docker-compose.yml', () => {
  it('should define LocalStack, a one-shot deployer, the watcher and the scenarios behind a profile', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['deployer', 'localstack', 'scenarios', 'watcher']);
    expect(service('deployer').restart).toBe('no');
    expect(service('scenarios').profiles).toEqual(['scenarios']);
    expect(service('localstack').profiles).toBeUndefined();
    expect(service('deployer').profiles).toBeUndefined();
  });

  it('should pin every image to a concrete tag, never latest', () => {
    for (const [name, { image }] of Object.entries(compose.services)) {
      const resolved = interpolate(image, {});
      const tag = /^[^:@]+:([^:@]+)$/.exec(resolved)?.[1];
      expect(tag, `${name}: ${resolved}`).toBeDefined();
      expect(tag, `${name}: ${resolved}`).not.toMatch(/latest/);
    }
    // LocalStack: a full version (YYYY.MM.patch), overridable by HARNESS_LOCALSTACK_TAG.
    expect(interpolate(service('localstack').image, {})).toMatch(/^localstack\/localstack:\d{4}\.\d{2}\.\d+$/);
    expect(interpolate(service('localstack').image, { HARNESS_LOCALSTACK_TAG: '2026.10.1' })).toBe('localstack/localstack:2026.10.1');
  });

  it('should default to the LocalStack image the localstack target starts', () => {
    expect(interpolate(service('localstack').image, {})).toBe(DEFAULT_LOCALSTACK_IMAGE);
  });

  it("should run the deploy and the scenarios on the Node major of the function's runtime", () => {
    const major = /^nodejs(\d+)\.x$/.exec(runtime)?.[1];
    expect(major, runtime).toBeDefined();
    for (const name of ['deployer', 'scenarios']) {
      expect(service(name).image).toMatch(new RegExp(`^node:${major}-[a-z]+-slim$`));
    }
  });

  it('should take the auth token only from the environment or .env, and stop with a hint without it', () => {
    const token = env('localstack', 'LOCALSTACK_AUTH_TOKEN');
    expect(token).toMatch(/^\$\{LOCALSTACK_AUTH_TOKEN:\?[^}]+\}$/);
    expect(() => interpolate(token, {})).toThrow('set LOCALSTACK_AUTH_TOKEN (see README)');
    expect(interpolate(token, { LOCALSTACK_AUTH_TOKEN: 'ls-abcd1234-from-env' })).toBe('ls-abcd1234-from-env');
    // Only LocalStack needs it.
    for (const name of ['deployer', 'scenarios']) expect(service(name).environment).not.toHaveProperty('LOCALSTACK_AUTH_TOKEN');
  });

  it('should contain no secret-looking literal, nor should .env.example', () => {
    for (const [file, text] of [['docker-compose.yml', composeText], ['.env.example', envExample]] as const) {
      expect(text, file).not.toMatch(/\bls-[A-Za-z0-9]{4,}/); // LocalStack auth tokens
      expect(text, file).not.toMatch(/\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/); // AWS access key ids
      expect(text, file).not.toMatch(/AWS_SECRET_ACCESS_KEY|AWS_SESSION_TOKEN/);
    }
    expect(envExample).toMatch(/^LOCALSTACK_AUTH_TOKEN=$/m);
  });

  it('should give LocalStack the Docker socket and publish its port on 127.0.0.1 only', () => {
    const localstack = service('localstack');
    expect(localstack.volumes).toContain('/var/run/docker.sock:/var/run/docker.sock');
    expect(localstack.ports).toEqual(['127.0.0.1:4566:4566']);
  });

  it('should report LocalStack healthy from /_localstack/health, failing on an HTTP error', () => {
    expect(service('localstack').healthcheck?.test).toEqual(['CMD', 'curl', '-fsS', 'http://localhost:4566/_localstack/health']);
  });

  it('should give a function container a minute to start', () => {
    expect(Number(env('localstack', 'LAMBDA_RUNTIME_ENVIRONMENT_TIMEOUT'))).toBeGreaterThanOrEqual(60);
  });

  it('should deploy once LocalStack is healthy and run the scenarios once the deploy succeeded', () => {
    expect(service('deployer').depends_on).toEqual({ localstack: { condition: 'service_healthy' } });
    expect(service('scenarios').depends_on).toEqual({ deployer: { condition: 'service_completed_successfully' } });
  });

  it('should put function containers on the compose network, named the same on every machine', () => {
    const network = env('localstack', 'LAMBDA_DOCKER_NETWORK');
    const [key, definition] = Object.entries(compose.networks).find(([, n]) => n.name === network) ?? [];
    expect(definition, `no network named ${network}`).toBeDefined();
    for (const name of ['localstack', 'deployer', 'scenarios']) expect(service(name).networks).toEqual([key]);
  });

  it("should bind-mount <efs dir><access point root> at the function's mount path from the template", () => {
    const flags = env('localstack', 'LAMBDA_DOCKER_FLAGS');
    const bind = (efsDir: string) => ['-v', `${efsDir}${mount.rootPath}:${mount.mountPath}`];
    // Default: the project's .efs, as an absolute path (the host's Docker daemon resolves it), spaces kept.
    expect(shellSplit(interpolate(flags, HOSTS[0]!))).toEqual(bind('/home/dev/my project/.efs'));
    expect(shellSplit(interpolate(flags, HOSTS[1]!))).toEqual(bind('/srv/efs'));
  });

  it('should show the deployer and the scenarios the very folder the functions see', () => {
    for (const host of HOSTS) {
      const [, bind = ''] = shellSplit(interpolate(env('localstack', 'LAMBDA_DOCKER_FLAGS'), host));
      const functionsEfsDir = bind.slice(0, -`${mount.rootPath}:${mount.mountPath}`.length);
      for (const name of ['deployer', 'scenarios']) {
        const inContainer = env(name, 'HARNESS_EFS_DIR');
        const volumes = (service(name).volumes ?? []).map((v) => splitVolume(interpolate(v, host)));
        expect(volumes.find((v) => v.target === inContainer)?.source, `${name} with ${JSON.stringify(host)}`).toBe(functionsEfsDir);
      }
    }
  });

  it('should point the deployer and the scenarios at LocalStack by its compose service name', () => {
    const [, containerPort] = /:(\d+)$/.exec(service('localstack').ports?.[0] ?? '') ?? [];
    for (const name of ['deployer', 'scenarios']) expect(env(name, 'HARNESS_ENDPOINT')).toBe(`http://localstack:${containerPort}`);
    expect(env('scenarios', 'HARNESS_TARGET')).toBe('endpoint');
  });

  it("should create the access point's root, owned by the project's owner and writable by all, before deploying", () => {
    const { working_dir: workingDir = '', command = [] } = service('deployer');
    const steps = interpolate(command.at(-1) ?? '', {}).split(' && ');
    const efsDir = path.posix.relative(workingDir, env('deployer', 'HARNESS_EFS_DIR'));
    const accessPointRoot = path.posix.relative(workingDir, `${env('deployer', 'HARNESS_EFS_DIR')}${mount.rootPath}`);
    expect(command.slice(0, 2)).toEqual(['sh', '-c']);
    expect(steps.slice(0, 3)).toEqual([
      `mkdir -p ${accessPointRoot}`,
      `chown "$(stat -c %u:%g .)" ${efsDir} ${accessPointRoot}`,
      `chmod 0777 ${accessPointRoot}`,
    ]);
    expect(steps.at(-1)).toBe('node harness/cli/deploy.ts --target endpoint');
  });

  it('should document every variable it reads in .env.example', () => {
    const read = new Set([...composeText.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]));
    read.delete('PWD'); // the shell's, not ours
    expect([...read].sort()).toEqual(['HARNESS_EFS_DIR', 'HARNESS_LOCALSTACK_TAG', 'LOCALSTACK_AUTH_TOKEN']);
    for (const name of read) expect(envExample).toMatch(new RegExp(`^${name}=`, 'm'));
  });

  it('should keep .env and the EFS folder out of git', () => {
    const ignored = readFileSync(path.join(PROJECT_ROOT, '.gitignore'), 'utf8').split('\n').map((l) => l.trim());
    expect(ignored).toEqual(expect.arrayContaining(['.env', '.efs/']));
  });
});

// `docker compose` itself, where its plugin is installed (not on this machine: no registry to get it from).
const composeVersion = spawnSync('docker', ['compose', 'version'], { encoding: 'utf8' });
const composeInstalled = composeVersion.status === 0;

describe('docker compose config', () => {
  const run = (extraEnv: Record<string, string>) => {
    const { LOCALSTACK_AUTH_TOKEN: _fromShell, ...inherited } = process.env;
    const childEnv = { ...inherited, ...extraEnv };
    // .env.example instead of a developer's .env, which may hold a real token.
    const args = ['compose', '-f', COMPOSE_PATH, '--env-file', path.join(PROJECT_ROOT, '.env.example'), '--profile', 'scenarios', 'config', '--quiet'];
    const result = spawnSync('docker', args, {
      cwd: PROJECT_ROOT,
      env: childEnv,
      encoding: 'utf8',
    });
    return { status: result.status, output: redact(`${result.stdout}${result.stderr}`, childEnv) };
  };

  it('should accept the file when a token is set', (ctx) => {
    ctx.skip(!composeInstalled, 'docker compose plugin not installed here');
    const { status, output } = run({ LOCALSTACK_AUTH_TOKEN: 'dummy-token-for-config-check' });
    expect(status, output).toBe(0);
  });

  it('should refuse to start without a token, saying how to fix it', (ctx) => {
    ctx.skip(!composeInstalled, 'docker compose plugin not installed here');
    const { status, output } = run({});
    expect(status).not.toBe(0);
    expect(output).toContain('set LOCALSTACK_AUTH_TOKEN (see README)');
  });
});
