import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MountModel, synthesize } from '../model/assembly.ts';
import { DEFAULT_LOCALSTACK_IMAGE } from '../targets/localstack/container.ts';
import { shlexSplit } from '../test-support/localstack-fixtures.ts';
import { redact } from '../core/redact.ts';
import { COMPOSE_CLEAN, COMPOSE_DOWN } from '../dev/clean.ts';
import { PROJECT_ROOT } from '../core/run.ts';
import { substitute } from './interpolate.ts';

// docker-compose.yml cannot run here (no registry, no token, no Compose v2): these tests check what it would do,
// reading the mount path and access point root from the synthesized template so that the file cannot drift from
// infra, and running its shell commands (the token check, the deployer's install guard) in a sandbox.
// Compose behaviour encoded here was read in compose-spec/compose-go at e70e961c (2026-07-21): template/template.go
// (interpolation forms), loader/loader.go (the whole file interpolated before profiles, for every command),
// format/volume.go (short-syntax binds create a missing host path); and docker/compose at f7297942 (2026-08-20):
// pkg/compose/create.go (such binds use the legacy Binds API, so the daemon creates the path, as root),
// pkg/compose/run.go startDependencies (`run` starts every dependency again).

/** A long-syntax volume (https://docs.docker.com/reference/compose-file/services/#volumes). */
interface LongVolume {
  type: 'bind' | 'volume';
  source: string;
  target: string;
  read_only?: boolean;
  bind?: { create_host_path?: boolean };
}
interface Service {
  image: string;
  ports?: string[];
  environment?: Record<string, string>;
  volumes?: (string | LongVolume)[];
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  profiles?: string[];
  networks?: string[];
  network_mode?: string;
  working_dir?: string;
  command?: string[];
  restart?: string;
}
interface ComposeFile {
  services: Record<string, Service>;
  networks: Record<string, { name?: string }>;
  volumes: Record<string, unknown>;
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

/** Compose's interpolation (validate/interpolate.ts, ported from compose-go template/template.go) of one value. */
function interpolate(text: string, vars: Readonly<Record<string, string>>): string {
  return substitute(text, (name) => (Object.hasOwn(vars, name) ? vars[name] : undefined));
}

interface Mount {
  readonly type: 'bind' | 'volume';
  /** Absolute host path of a bind (relative sources resolved against the project folder, as Compose does); a volume's name. */
  readonly source: string;
  readonly target: string;
  readonly readOnly: boolean;
  /** Whether a missing bind source is created, by the daemon, as root: true for the short syntax
   *  (compose-spec/compose-go format/volume.go populateType, "bind will create missing host path"). */
  readonly createsHostPath: boolean;
}

/** A service's mounts after interpolation, in both the short (`source:target[:ro]`) and the long syntax. */
function mounts(name: string, vars: Readonly<Record<string, string>>): Mount[] {
  return (service(name).volumes ?? []).map((volume): Mount => {
    if (typeof volume === 'string') {
      const [source = '', target = '', mode] = interpolate(volume, vars).split(':');
      const isPath = source.startsWith('.') || source.startsWith('/');
      return {
        type: isPath ? 'bind' : 'volume',
        source: isPath ? path.resolve(PROJECT_ROOT, source) : source,
        target,
        readOnly: mode === 'ro',
        createsHostPath: isPath,
      };
    }
    const source = interpolate(volume.source, vars);
    return {
      type: volume.type,
      source: volume.type === 'bind' ? path.resolve(PROJECT_ROOT, source) : source,
      target: volume.target,
      readOnly: volume.read_only === true,
      createsHostPath: volume.type === 'bind' && volume.bind?.create_host_path !== false,
    };
  });
}

/** Every string in the file, interpolated: what Compose does for any command, `down` included. */
function interpolateAll(node: unknown, vars: Readonly<Record<string, string>>): void {
  if (typeof node === 'string') interpolate(node, vars);
  else if (node && typeof node === 'object') for (const child of Object.values(node)) interpolateAll(child, vars);
}

const inside = (parent: string, child: string): boolean => child !== parent && child.startsWith(`${parent}/`);
const tracked = new Set(spawnSync('git', ['ls-files'], { cwd: PROJECT_ROOT, encoding: 'utf8' }).stdout.split('\n').filter(Boolean));
const NODE_SERVICES = ['deployer', 'watcher', 'scenarios'];


/** Host environments to resolve the file with: this checkout (so `.efs` is inside the project), a path with a
 *  space, and an EFS folder outside the project. */
const HOSTS: readonly Record<string, string>[] = [
  { PWD: PROJECT_ROOT },
  { PWD: '/home/dev/my project' },
  { PWD: '/p', HARNESS_EFS_DIR: '/srv/efs' },
];

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

/** The host folder the functions see as the file system's root (LAMBDA_DOCKER_FLAGS minus the access point root). */
function functionsEfsDir(host: Readonly<Record<string, string>>): string {
  const [, bind = ''] = shlexSplit(interpolate(env('localstack', 'LAMBDA_DOCKER_FLAGS'), host));
  return bind.slice(0, -`${mount.rootPath}:${mount.mountPath}`.length);
}

/** The host folder of LocalStack hot reloading's code folders, as the deployer names it to LocalStack. */
function hotReloadDir(host: Readonly<Record<string, string>>): string {
  return interpolate(env('deployer', 'HARNESS_HOT_RELOAD_HOST_DIR'), host);
}

/** Runs `sh -c <command>` as the file would (after interpolation), with a fake `npm` and `node` that log their arguments. */
function runInSandbox(command: string, cwd: string, extraEnv: Record<string, string> = {}, npmExit = 0) {
  const bin = path.join(cwd, '..', 'bin');
  mkdirSync(bin, { recursive: true });
  const log = path.join(cwd, '..', 'calls.log');
  writeFileSync(path.join(bin, 'npm'), `#!/bin/sh\necho "npm $*" >> '${log}'\nexit ${npmExit}\n`);
  writeFileSync(path.join(bin, 'node'), `#!/bin/sh\necho "node $*" >> '${log}'\n`);
  chmodSync(path.join(bin, 'npm'), 0o755);
  chmodSync(path.join(bin, 'node'), 0o755);
  rmSync(log, { force: true });
  const result = spawnSync('sh', ['-c', command], {
    cwd,
    env: { PATH: `${bin}:${process.env.PATH}`, ...extraEnv },
    encoding: 'utf8',
  });
  const calls = existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : [];
  return { status: result.status, stderr: result.stderr, calls };
}

describe('docker-compose.yml', () => {
  it('should define a token check, LocalStack, a one-shot deployer, the watcher, and the scenarios and the cleanup behind profiles', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['auth-token', 'clean', 'deployer', 'localstack', 'scenarios', 'watcher']);
    expect(service('deployer').restart).toBe('no');
    expect(service('auth-token').restart).toBe('no');
    expect(service('scenarios').profiles).toEqual(['scenarios']);
    expect(service('clean').profiles).toEqual(['clean']);
    for (const name of ['auth-token', 'localstack', 'deployer']) expect(service(name).profiles, name).toBeUndefined();
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

  it("should run the deploy, the scenarios, the token check and the cleanup on the Node image of the function's runtime", () => {
    const major = /^nodejs(\d+)\.x$/.exec(runtime)?.[1];
    expect(major, runtime).toBeDefined();
    // One image for all four: the token check and the cleanup pull nothing that `up` did not already pull.
    for (const name of [...NODE_SERVICES, 'auth-token', 'clean']) {
      expect(service(name).image, name).toMatch(new RegExp(`^node:${major}-[a-z]+-slim$`));
      expect(service(name).image, name).toBe(service('deployer').image);
    }
  });

  it('should interpolate without a token, so that `docker compose down -v` works without one', () => {
    // Compose interpolates the whole file for every command (compose-go loader/loader.go, before profiles).
    expect(composeText).not.toMatch(/\$\{[A-Za-z_][A-Za-z0-9_]*:?\?/);
    for (const host of HOSTS) expect(() => interpolateAll(compose, host)).not.toThrow();
  });

  it('should give the token to LocalStack only, and to the check only whether it is set', () => {
    expect(env('localstack', 'LOCALSTACK_AUTH_TOKEN')).toBe('${LOCALSTACK_AUTH_TOKEN:-}');
    expect(interpolate(env('localstack', 'LOCALSTACK_AUTH_TOKEN'), { LOCALSTACK_AUTH_TOKEN: 'ls-abcd1234-from-env' })).toBe('ls-abcd1234-from-env');
    const flag = env('auth-token', 'LOCALSTACK_AUTH_TOKEN_SET');
    expect(interpolate(flag, {})).toBe('');
    expect(interpolate(flag, { LOCALSTACK_AUTH_TOKEN: 'ls-abcd1234-from-env' })).toBe('yes');
    for (const name of Object.keys(compose.services).filter((n) => n !== 'localstack')) {
      expect(JSON.stringify(service(name).environment ?? {}), name).not.toMatch(/\$\{LOCALSTACK_AUTH_TOKEN(?::-)?\}/);
    }
  });

  it('should stop `up` and `run` before LocalStack starts when the token is missing, saying how to fix it', () => {
    expect(service('localstack').depends_on).toEqual({ 'auth-token': { condition: 'service_completed_successfully' } });
    const { command = [] } = service('auth-token');
    expect(command.slice(0, 2)).toEqual(['sh', '-c']);
    const check = (vars: Record<string, string>) =>
      spawnSync('sh', ['-c', interpolate(command[2] ?? '', {})], { env: { LOCALSTACK_AUTH_TOKEN_SET: interpolate(env('auth-token', 'LOCALSTACK_AUTH_TOKEN_SET'), vars) }, encoding: 'utf8' });
    const missing = check({});
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('LOCALSTACK_AUTH_TOKEN is not set: put it in .env (cp .env.example .env) or export it');
    const present = check({ LOCALSTACK_AUTH_TOKEN: 'ls-abcd1234-from-env' });
    expect(present.status).toBe(0);
    expect(present.stderr).toBe('');
  });

  it('should contain no secret-looking literal, nor should .env.example', () => {
    for (const [file, text] of [['docker-compose.yml', composeText], ['.env.example', envExample]] as const) {
      expect(text, file).not.toMatch(/\bls-[A-Za-z0-9]{4,}/); // LocalStack auth tokens
      expect(text, file).not.toMatch(/\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/); // AWS access key ids
      expect(text, file).not.toMatch(/AWS_SECRET_ACCESS_KEY|AWS_SESSION_TOKEN/);
    }
    expect(envExample).toMatch(/^LOCALSTACK_AUTH_TOKEN=$/m);
  });

  it('should give LocalStack the Docker socket and its volume directory, and publish its port on 127.0.0.1 only', () => {
    const localstack = service('localstack');
    expect(localstack.volumes).toContain('/var/run/docker.sock:/var/run/docker.sock');
    // A named volume (never a folder in the project), kept by `down` and removed by `down -v`.
    expect(mounts('localstack', {})).toContainEqual({ type: 'volume', source: 'localstack-volume', target: '/var/lib/localstack', readOnly: false, createsHostPath: false });
    expect(compose.volumes).toHaveProperty('localstack-volume');
    expect(localstack.ports).toEqual(['127.0.0.1:4566:4566']);
  });

  it('should report LocalStack healthy from /_localstack/health, failing on an HTTP error', () => {
    expect(service('localstack').healthcheck?.test).toEqual(['CMD', 'curl', '-fsS', 'http://localhost:4566/_localstack/health']);
  });

  it('should give a function container a minute to start, on the host architecture', () => {
    expect(Number(env('localstack', 'LAMBDA_RUNTIME_ENVIRONMENT_TIMEOUT'))).toBeGreaterThanOrEqual(60);
    // localstack/localstack localstack-core/localstack/config.py reads it with is_env_true: "1" turns it on.
    expect(env('localstack', 'LAMBDA_IGNORE_ARCHITECTURE')).toBe('1');
    // LocalStack's CloudFormation v2 engine skips unsupported types only while this is set explicitly (engine/v2/change_set_model_executor.py warning).
    expect(env('localstack', 'CFN_IGNORE_UNSUPPORTED_RESOURCE_TYPES')).toBe('1');
  });

  it('should deploy once LocalStack is healthy and run the scenarios once the deploy succeeded', () => {
    expect(service('deployer').depends_on).toEqual({ localstack: { condition: 'service_healthy' } });
    expect(service('scenarios').depends_on).toEqual({ deployer: { condition: 'service_completed_successfully' } });
    expect(service('clean').depends_on).toBeUndefined();
  });

  it('should put function containers on the compose network, named the same on every machine', () => {
    const network = env('localstack', 'LAMBDA_DOCKER_NETWORK');
    const [key, definition] = Object.entries(compose.networks).find(([, n]) => n.name === network) ?? [];
    expect(definition, `no network named ${network}`).toBeDefined();
    for (const name of ['localstack', ...NODE_SERVICES]) expect(service(name).networks).toEqual([key]);
    // The check and the cleanup need none: `run --rm clean` after `down` creates no network again.
    for (const name of ['auth-token', 'clean']) expect(service(name).network_mode, name).toBe('none');
  });

  it("should bind-mount <efs dir><access point root> at the function's mount path from the template", () => {
    const flags = env('localstack', 'LAMBDA_DOCKER_FLAGS');
    const bind = (efsDir: string) => ['-v', `${efsDir}${mount.rootPath}:${mount.mountPath}`];
    // Default: the project's .efs, as an absolute path (the host's Docker daemon resolves it), spaces kept.
    expect(shlexSplit(interpolate(flags, HOSTS[1]!))).toEqual(bind('/home/dev/my project/.efs'));
    expect(shlexSplit(interpolate(flags, HOSTS[2]!))).toEqual(bind('/srv/efs'));
  });

  it('should show the deployer, the scenarios and the cleanup the very folder the functions see', () => {
    for (const host of HOSTS) {
      for (const name of NODE_SERVICES) {
        const inContainer = env(name, 'HARNESS_EFS_DIR');
        expect(mounts(name, host).find((m) => m.target === inContainer)?.source, `${name} with ${JSON.stringify(host)}`).toBe(functionsEfsDir(host));
      }
      expect(mounts('clean', host)).toEqual([
        { type: 'bind', source: functionsEfsDir(host), target: '/efs', readOnly: false, createsHostPath: false },
        { type: 'bind', source: hotReloadDir(host), target: '/hot-reload', readOnly: false, createsHostPath: false },
      ]);
    }
  });

  it('should not let Docker create a root-owned path inside the project', () => {
    // A rootful daemon creates, as root, a missing bind source (short syntax) and a mount point inside a bind.
    const project = HOSTS[0]!;
    for (const name of Object.keys(compose.services)) {
      const all = mounts(name, project);
      const binds = all.filter((b) => b.type === 'bind');
      for (const m of all) {
        const nested = binds.find((bind) => inside(bind.target, m.target));
        expect(nested, `${name}: the mount point ${m.target} would be made inside ${nested?.source}`).toBeUndefined();
      }
      for (const m of binds) {
        const where = `${name}: ${m.source} -> ${m.target}`;
        if (!(m.source === PROJECT_ROOT || inside(PROJECT_ROOT, m.source))) continue;
        const relative = path.relative(PROJECT_ROOT, m.source);
        const exists = relative === '' || tracked.has(relative) || [...tracked].some((file) => file.startsWith(`${relative}/`));
        expect(!m.createsHostPath || exists, `${where} may be created by the daemon`).toBe(true);
        // The writable folders of the project in a container: the EFS folder and the hot-reload code folders
        // (each tracked by its .gitkeep).
        if (!m.readOnly) expect([functionsEfsDir(project), hotReloadDir(project)], where).toContain(m.source);
      }
    }
    expect(tracked.has('.efs/.gitkeep')).toBe(true);
    expect(tracked.has('.hot-reload/.gitkeep')).toBe(true);
  });

  it('should mount every tracked top-level file and folder the Node containers need, read-only', () => {
    // What the harness needs in a container; the rest is for people, git and CI.
    const notNeeded = ['.ci', '.efs', '.env.example', '.github', '.gitignore', '.hot-reload', '.nvmrc', 'README.md', 'docker-compose.yml', 'docs'];
    const topLevel = [...new Set([...tracked].map((file) => file.split('/')[0]!))].filter((entry) => !notNeeded.includes(entry)).sort();
    for (const name of NODE_SERVICES) {
      const project = mounts(name, HOSTS[0]!).filter((m) => m.type === 'bind' && m.readOnly);
      expect(project.map((m) => path.relative(PROJECT_ROOT, m.source)).sort(), name).toEqual(topLevel);
      for (const m of project) expect(m.target).toBe(path.posix.join(service(name).working_dir ?? '', path.relative(PROJECT_ROOT, m.source)));
    }
  });

  it('should point the deployer and the scenarios at LocalStack by its compose service name', () => {
    const [, containerPort] = /:(\d+)$/.exec(service('localstack').ports?.[0] ?? '') ?? [];
    for (const name of NODE_SERVICES) expect(env(name, 'HARNESS_ENDPOINT')).toBe(`http://localstack:${containerPort}`);
    expect(env('scenarios', 'HARNESS_TARGET')).toBe('endpoint');
  });

  it('should have the deployer print the endpoint and the EFS folder as the host names them', () => {
    const [, hostPort] = /^127\.0\.0\.1:(\d+):/.exec(service('localstack').ports?.[0] ?? '') ?? [];
    expect(env('deployer', 'HARNESS_PUBLIC_ENDPOINT')).toBe(`http://localhost:${hostPort}`);
    for (const host of HOSTS) expect(interpolate(env('deployer', 'HARNESS_PUBLIC_EFS_DIR'), host)).toBe(functionsEfsDir(host));
  });

  describe("the deployer's command, run in a sandbox", () => {
    let sandbox: string;
    let cwd: string;
    const command = () => interpolate(service('deployer').command?.[2] ?? '', {});
    const DEPLOY = 'node harness/cli/deploy.ts --target endpoint';
    const INSTALL = 'npm ci --prefer-offline --no-audit --no-fund';

    beforeAll(() => {
      expect(service('deployer').command?.slice(0, 2)).toEqual(['sh', '-c']);
    });
    afterAll(() => rmSync(sandbox, { recursive: true, force: true }));

    it("should create the access point's root, owned by the EFS folder's owner and writable by all, before deploying", () => {
      sandbox = mkdtempSync(path.join(tmpdir(), 'compose-deployer-'));
      cwd = path.join(sandbox, 'project');
      const efsDir = path.posix.relative(service('deployer').working_dir ?? '', env('deployer', 'HARNESS_EFS_DIR'));
      mkdirSync(path.join(cwd, efsDir), { recursive: true });
      mkdirSync(path.join(cwd, 'node_modules'));
      writeFileSync(path.join(cwd, 'package-lock.json'), '{"lockfileVersion":3}\n');
      const { status, calls, stderr } = runInSandbox(command(), cwd);
      expect(status, stderr).toBe(0);
      const root = statSync(path.join(cwd, efsDir, mount.rootPath));
      expect(root.mode & 0o777).toBe(0o777);
      expect(`${root.uid}:${root.gid}`).toBe(`${statSync(path.join(cwd, efsDir)).uid}:${statSync(path.join(cwd, efsDir)).gid}`);
      expect(calls).toEqual([INSTALL, DEPLOY]);
    });

    it('should not reinstall on a rerun (every `run --rm scenarios` starts it again) until package-lock.json changes', () => {
      expect(runInSandbox(command(), cwd).calls).toEqual([DEPLOY]);
      writeFileSync(path.join(cwd, 'package-lock.json'), '{"lockfileVersion":3,"changed":true}\n');
      expect(runInSandbox(command(), cwd).calls).toEqual([INSTALL, DEPLOY]);
      expect(runInSandbox(command(), cwd).calls).toEqual([DEPLOY]);
    });

    it('should neither deploy nor remember an install that failed', () => {
      writeFileSync(path.join(cwd, 'package-lock.json'), '{"lockfileVersion":3,"again":true}\n');
      const failed = runInSandbox(command(), cwd, {}, 1);
      expect(failed.status).not.toBe(0);
      expect(failed.calls).toEqual([INSTALL]);
      expect(runInSandbox(command(), cwd).calls).toEqual([INSTALL, DEPLOY]);
    });
  });

  it("should remove the function's files and the hot-reload builds as root with `npm run clean`, after everything else", () => {
    const [shell, flag, script = ''] = service('clean').command as string[];
    expect([shell, flag]).toEqual(['sh', '-c']);
    // Run on scratch copies of the two mounts: the access point's root and every build go, the tracked .gitkeep stays.
    const dir = mkdtempSync(path.join(outdir, 'clean-'));
    mkdirSync(path.join(dir, `efs${mount.rootPath}`, 'messages'), { recursive: true });
    writeFileSync(path.join(dir, `efs${mount.rootPath}`, 'messages', 'a.json'), '{}');
    mkdirSync(path.join(dir, 'hot-reload', 'myHelloVPCLambda'), { recursive: true });
    writeFileSync(path.join(dir, 'hot-reload', 'myHelloVPCLambda', 'index.mjs'), '');
    writeFileSync(path.join(dir, 'hot-reload', '.gitkeep'), '');
    const local = script.replaceAll('/efs', `${dir}/efs`).replaceAll('/hot-reload', `${dir}/hot-reload`);
    expect(spawnSync('sh', ['-c', local], { encoding: 'utf8' }).status).toBe(0);
    expect(existsSync(path.join(dir, `efs${mount.rootPath}`))).toBe(false);
    expect(existsSync(path.join(dir, 'efs'))).toBe(true);
    expect(existsSync(path.join(dir, 'hot-reload', 'myHelloVPCLambda'))).toBe(false);
    expect(existsSync(path.join(dir, 'hot-reload', '.gitkeep'))).toBe(true);
    const scripts = (JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    expect(scripts.clean).toBe('node harness/core/node-version.cjs && node harness/cli/clean.ts');
    // With Compose v2, npm run clean takes the project down with its volumes, then runs this service.
    expect([COMPOSE_DOWN, COMPOSE_CLEAN]).toEqual([['compose', 'down', '-v', '--remove-orphans'], ['compose', 'run', '--rm', 'clean']]);
    // `down -v` removes every named volume of the file: nothing else keeps state.
    expect(Object.keys(compose.volumes).sort()).toEqual(['harness-runs', 'localstack-volume', 'node-modules', 'npm-cache']);
  });

  it('should document every variable it reads in .env.example', () => {
    const read = new Set([...composeText.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]));
    read.delete('PWD'); // the shell's (or Compose's, since 2.35), not ours
    expect([...read].sort()).toEqual(['HARNESS_EFS_BRIDGE', 'HARNESS_EFS_DIR', 'HARNESS_LOCALSTACK_EFS', 'HARNESS_LOCALSTACK_TAG', 'LOCALSTACK_AUTH_TOKEN']);
    for (const name of read) expect(envExample).toMatch(new RegExp(`^${name}=`, 'm'));
  });

  it('should keep .env and what the function writes out of git, but the EFS folder itself in every clone', () => {
    const ignored = readFileSync(path.join(PROJECT_ROOT, '.gitignore'), 'utf8').split('\n').map((l) => l.trim());
    expect(ignored).toEqual(expect.arrayContaining(['.env', '.efs/*', '!.efs/.gitkeep']));
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

  it('should accept the file without a token, as `down -v` needs', (ctx) => {
    ctx.skip(!composeInstalled, 'docker compose plugin not installed here');
    const { status, output } = run({});
    expect(status, output).toBe(0);
  });
});
