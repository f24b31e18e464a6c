import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { createServer } from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ProbeResult } from '../targets/localstack/detect.ts';
import { PROJECT_ROOT } from '../core/run.ts';
import type { DockerPing } from '../core/docker-engine.ts';
import { type DoctorDeps, dockerPlacement, gatherFacts } from './checks.ts';
import { doctorReport, renderJson, renderText, type TargetVerdict } from './report.ts';
import { HEALTH_BODIES } from '../test-support/localstack-fixtures.ts';

// ---- Recorded answers of the outside services (each with its source) ----

// Docker Engine API GET /_ping: 200 "OK" (docs.docker.com/reference/api/engine/version/v1.57/operations/SystemPing);
// moby's version middleware adds `Server: Docker/<version> (<os>)` and `Api-Version` (moby/moby
// api/server/middleware/version.go); pingDocker turns that into this value (harness/launch/select.test.ts serves the raw answer).
const DOCKER_ANSWERS: DockerPing = { ok: true, server: 'Docker/28.5.1 (linux)', apiVersion: '1.51', podman: false };

// LocalStack's and fakecloud's health answers, as the detection tests use them (sources cited in harness/test-support/localstack-fixtures.ts).
const { localstackAll: LOCALSTACK_ALL, localstackWithoutHttpApis: LOCALSTACK_WITHOUT_HTTP_APIS, fakecloud: FAKECLOUD } = HEALTH_BODIES;
const NOT_FOUND: ProbeResult = { status: 404, body: '' };
const REFUSED: ProbeResult = { error: 'ECONNREFUSED' };

/** An emulator answering on one health path, 404 on the others (how each of them answers a path it lacks). */
function emulatorAnswering(name: 'localstack' | 'fakecloud' | 'none', body = ''): DoctorDeps['probeEmulator'] {
  return async () => ({
    floci: name === 'none' ? REFUSED : NOT_FOUND,
    ministack: name === 'none' ? REFUSED : NOT_FOUND,
    fakecloud: name === 'fakecloud' ? { status: 200, body } : name === 'none' ? REFUSED : NOT_FOUND,
    localstack: name === 'localstack' ? { status: 200, body } : name === 'none' ? REFUSED : NOT_FOUND,
  });
}

// `docker compose version` prints "Docker Compose version v2.29.7" (docker/compose cmd/compose/version.go).
const COMPOSE_V2 = 'Docker Compose version v2.29.7';

// The SDK's credential chain gives up with a CredentialsProviderError ("Could not load credentials from any
// providers", @smithy/property-provider), as it does on this machine.
const NO_CREDENTIALS = Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' });

const never = <T>() => new Promise<T>(() => {});

/** A machine with everything: Docker on this host, LocalStack with every service, Compose v2, AWS credentials. */
function deps(overrides: Partial<DoctorDeps> = {}): DoctorDeps {
  return {
    nodeVersion: 'v24.21.0',
    projectRoot: PROJECT_ROOT,
    exists: (file) => file.includes('node_modules'),
    daemonRunsHere: () => false,
    pingDocker: async () => DOCKER_ANSWERS,
    // An engine with a bridge network that has the image; placement not tried (the Docker tier tries it for real).
    engineFacts: async () => ({ networks: ['bridge', 'host', 'none'], imagePresent: true }),
    probeEmulator: emulatorAnswering('localstack', LOCALSTACK_ALL),
    composeVersion: async () => COMPOSE_V2,
    callerIdentity: async () => ({ account: '123456789012', arn: 'arn:aws:sts::123456789012:assumed-role/harness-ci/session' }),
    timeoutMs: 1_000,
    ...overrides,
  };
}

const TOKEN = 'ls-SeCrEtTo-KEN0-1234-5678-90abcdef0000';
const AWS_SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const ENV: NodeJS.ProcessEnv = {
  LOCALSTACK_AUTH_TOKEN: TOKEN,
  DOCKER_HOST: 'unix:///var/run/docker.sock',
  HARNESS_AWS_ACCOUNT: '123456789012',
  AWS_REGION: 'eu-west-1',
  AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
  AWS_SECRET_ACCESS_KEY: AWS_SECRET,
};

async function run(env: NodeJS.ProcessEnv, overrides: Partial<DoctorDeps> = {}) {
  const report = await doctorReport(await gatherFacts(env, deps(overrides)), env);
  const row = (target: string) => report.targets.find((t) => t.target === target) as TargetVerdict;
  return { report, row, text: renderText(report, env), json: renderJson(report, env) };
}

describe('npm run doctor: verdicts', () => {
  it('should call every target ready on a machine that has everything, with the command to run', async () => {
    const { report, row } = await run(ENV);
    expect(report.localReady).toBe(true);
    expect(report.targets.map((t) => [t.target, t.ready])).toEqual([
      ['local', true],
      ['localstack', true],
      ['endpoint', true],
      ['aws', true],
    ]);
    expect(row('localstack')).toEqual({
      target: 'localstack',
      ready: true,
      reason: 'token set, Docker/28.5.1 (linux), API 1.51 answers at /var/run/docker.sock, image localstack/localstack:2026.08.0',
      next: 'HARNESS_TARGET=localstack npm run scenarios (or npm run up -- --target localstack)',
    });
    expect(row('endpoint').reason).toBe('LocalStack 2026.8.0, edition pro; every service the pattern needs at http://localhost:4566');
    expect(row('aws')).toMatchObject({ ready: true, reason: 'credentials for account 123456789012 (= HARNESS_AWS_ACCOUNT), region eu-west-1' });
    expect(report.scenarios).toBe('localstack (HARNESS_TARGET is unset, a Docker engine answers and LOCALSTACK_AUTH_TOKEN is set)');
  });

  it('should say what npm run scenarios would pick, and reject a HARNESS_TARGET that is no target', async () => {
    expect((await run({ ...ENV, HARNESS_TARGET: 'aws' })).report.scenarios).toBe('aws (HARNESS_TARGET=aws)');
    expect((await run({ ...ENV, HARNESS_TARGET: 'lokal' })).text).toContain(
      'npm run scenarios would run: HARNESS_TARGET="lokal" is not a target. Valid targets: local, localstack, endpoint, aws.',
    );
  });

  it('should never print a secret, in text or JSON, even with the token and AWS keys set', async () => {
    const { text, json } = await run(ENV);
    for (const out of [text, json]) {
      expect(out).not.toContain(TOKEN);
      expect(out).not.toContain(AWS_SECRET);
      expect(out).not.toContain('AKIAIOSFODNN7EXAMPLE');
    }
    expect(text).toMatch(/LOCALSTACK_AUTH_TOKEN\s+set \(not shown\)/);
  });

  it('should call local not ready on Node 20, with the message of the version check', async () => {
    const { report, row } = await run(ENV, { nodeVersion: 'v20.20.2' });
    expect(report.localReady).toBe(false);
    expect(row('local')).toMatchObject({
      ready: false,
      reason: 'This project needs Node >= 22.22 (package.json "engines"), but this is Node v20.20.2.',
      next: expect.stringContaining('npx -y node@24 "$(command -v npm)" ci'),
    });
    expect(report.targets.every((t) => !t.ready)).toBe(true);
  });

  it('should send a user without installed dependencies to npm ci', async () => {
    const { row } = await run(ENV, { exists: (file) => !file.endsWith(path.join('node_modules', 'vitest', 'package.json')) });
    expect(row('local')).toMatchObject({ ready: false, reason: 'dependencies are not installed (vitest missing from node_modules)', next: 'npm ci' });
  });

  it('should name the token as what localstack lacks, never its value', async () => {
    const { row } = await run({ ...ENV, LOCALSTACK_AUTH_TOKEN: '' });
    expect(row('localstack').ready).toBe(false);
    expect(row('localstack').reason).toMatch(/^LOCALSTACK_AUTH_TOKEN is not set: .*export LOCALSTACK_AUTH_TOKEN=<token>/);
  });

  it('should say which sockets were tried when no Docker engine answers, and how to start one', async () => {
    const { row, text } = await run(ENV, { pingDocker: async () => ({ ok: false, detail: 'ECONNREFUSED' }) });
    expect(row('localstack')).toMatchObject({ ready: false, reason: 'no Docker engine answers (/var/run/docker.sock: ECONNREFUSED)' });
    expect(row('localstack').next).toMatch(/^start Docker/);
    expect(text).toMatch(/no\s+Docker engine\s+no answer \(\/var\/run\/docker\.sock: ECONNREFUSED\)/);
  });

  it('should warn that the bind-mounted EFS folder is not what the functions see under Docker-outside-of-Docker', async () => {
    const inContainer = (file: string) => file === '/.dockerenv' || file.includes('node_modules');
    const { row, text } = await run(ENV, { exists: inContainer });
    expect(row('localstack').ready).toBe(true);
    expect(row('localstack').warning).toContain('Docker is outside this container (Docker-outside-of-Docker): this process runs in a container (/.dockerenv exists)');
    expect(row('localstack').warning).toContain('Set HARNESS_EFS_BRIDGE=volume');
    expect(text).toMatch(/-- {2}Docker location\s+Docker-outside-of-Docker \(this process runs in a container \(\/\.dockerenv exists\), so the engine it reaches runs outside it\)/);
    const withVolume = await run({ ...ENV, HARNESS_EFS_BRIDGE: 'volume' }, { exists: inContainer });
    expect(withVolume.row('localstack').warning).toBeUndefined();
  });

  it('should tell a remote engine from DOCKER_HOST', async () => {
    const asked: unknown[] = [];
    const { row } = await run(
      { ...ENV, DOCKER_HOST: 'tcp://10.0.0.5:2375' },
      { pingDocker: async (target) => (asked.push(target), DOCKER_ANSWERS) },
    );
    expect(asked).toEqual([{ host: '10.0.0.5', port: 2375 }]);
    expect(row('localstack').warning).toMatch(/^Docker is remote: DOCKER_HOST=tcp:\/\/10\.0\.0\.5:2375 names another machine\./);
  });

  it('should walk a user with nothing running to docker compose up, naming each missing piece', async () => {
    const { row } = await run(
      { ...ENV, LOCALSTACK_AUTH_TOKEN: undefined },
      { probeEmulator: emulatorAnswering('none'), composeVersion: async () => Promise.reject(new Error('docker: unknown command: docker compose')) },
    );
    expect(row('endpoint')).toEqual({
      target: 'endpoint',
      ready: false,
      reason: 'nothing answers at http://localhost:4566 (ECONNREFUSED)',
      next:
        'install Docker Compose v2 (docker: unknown command: docker compose; `docker compose version` must print 2.x), then ' +
        'cp .env.example .env and put your LOCALSTACK_AUTH_TOKEN in it, then docker compose up, then HARNESS_TARGET=endpoint npm run scenarios',
    });
  });

  it('should say what the emulator at HARNESS_ENDPOINT is when it cannot host the pattern', async () => {
    const fake = await run({ ...ENV, HARNESS_ENDPOINT: 'http://localhost:4567' }, { probeEmulator: emulatorAnswering('fakecloud', FAKECLOUD) });
    expect(fake.row('endpoint').ready).toBe(false);
    expect(fake.row('endpoint').reason).toMatch(/^The emulator at http:\/\/localhost:4567 is fakecloud 0\.9\.1, which cannot host this pattern/);
    expect(fake.text).toMatch(/emulator at http:\/\/localhost:4567\s+fakecloud 0\.9\.1/);
    const hobby = await run(ENV, { probeEmulator: emulatorAnswering('localstack', LOCALSTACK_WITHOUT_HTTP_APIS) });
    expect(hobby.row('endpoint').reason).toContain('does not offer apigatewayv2 (disabled; in the Base plan)');
  });

  it('should report Compose v1 as too old and v2 as found', async () => {
    const v1 = await run(ENV, { composeVersion: async () => 'docker-compose version 1.29.2, build 5becea4c' });
    expect(v1.report.checks.find((c) => c.name === 'Docker Compose')).toEqual({ name: 'Docker Compose', ok: false, detail: 'Docker Compose 1.29.2, is older than v2' });
    const v2 = await run(ENV);
    expect(v2.report.checks.find((c) => c.name === 'Docker Compose')).toEqual({ name: 'Docker Compose', ok: true, detail: 'Docker Compose 2.29.7' });
  });

  it('should refuse aws with the guard\'s own words when the credentials belong to another account', async () => {
    const { row, report } = await run(ENV, {
      callerIdentity: async () => ({ account: '999999999999', arn: 'arn:aws:iam::999999999999:user/someone' }),
    });
    expect(row('aws').ready).toBe(false);
    expect(row('aws').reason).toContain(
      'The aws target refuses to run: HARNESS_AWS_ACCOUNT=123456789012, but the credentials found (arn:aws:iam::999999999999:user/someone) belong to account 999999999999.',
    );
    expect(report.checks.find((c) => c.name === 'HARNESS_AWS_ACCOUNT')?.detail).toBe('123456789012, but the credentials belong to 999999999999');
  });

  it('should explain missing AWS credentials and a missing region', async () => {
    const { row, report } = await run({ ...ENV, AWS_REGION: undefined }, { callerIdentity: async () => Promise.reject(NO_CREDENTIALS) });
    expect(row('aws').reason).toMatch(/^The aws target refuses to run: no AWS region: set AWS_REGION/);
    expect(report.checks.find((c) => c.name === 'AWS credentials')?.detail).toMatch(/^no AWS credentials found: configure a profile\/SSO\/OIDC/);
  });
});

describe('npm run doctor: bounded checks', () => {
  it('should finish when every outside service hangs, saying which did not answer', async () => {
    const started = Date.now();
    const { report, row } = await run(ENV, {
      pingDocker: never,
      probeEmulator: never,
      composeVersion: never,
      callerIdentity: never,
      timeoutMs: 100,
    });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(report.localReady).toBe(true);
    expect(row('localstack').reason).toBe('no Docker engine answers (/var/run/docker.sock: GET /_ping on /var/run/docker.sock: no answer within 0.1 s)');
    expect(row('endpoint').reason).toBe('nothing answers at http://localhost:4566 (emulator at http://localhost:4566: no answer within 1.1 s)');
    expect(report.checks.find((c) => c.name === 'Docker Compose')?.detail).toBe('docker compose version: no answer within 0.1 s');
    expect(row('aws').reason).toContain('STS GetCallerIdentity in eu-west-1 failed (TimeoutError): STS GetCallerIdentity: no answer within 0.1 s');
  });
});

describe('dockerPlacement', () => {
  const none = { exists: () => false, daemonRunsHere: () => false };
  const inside = (marker: string, daemonRunsHere = false) => ({ exists: (f: string) => f === marker, daemonRunsHere: () => daemonRunsHere });
  it('should call an engine on this machine local', () => {
    expect(dockerPlacement({}, none).placement).toBe('local');
    expect(dockerPlacement({ DOCKER_HOST: 'unix:///run/user/1000/docker.sock' }, none).placement).toBe('local');
    expect(dockerPlacement({ DOCKER_HOST: 'tcp://127.0.0.1:2375' }, none).placement).toBe('local');
  });

  it('should call DOCKER_HOST on another machine remote, ssh included', () => {
    expect(dockerPlacement({ DOCKER_HOST: 'tcp://10.0.0.5:2376' }, none)).toEqual({ placement: 'remote', why: 'DOCKER_HOST=tcp://10.0.0.5:2376 names another machine' });
    expect(dockerPlacement({ DOCKER_HOST: 'ssh://me@build-host' }, none).placement).toBe('remote');
  });

  it('should call a socket reached from inside a Docker or Podman container Docker-outside-of-Docker', () => {
    expect(dockerPlacement({}, inside('/.dockerenv')).placement).toBe('docker-outside-of-docker');
    expect(dockerPlacement({}, inside('/run/.containerenv')).why).toBe('this process runs in a container (/run/.containerenv exists), so the engine it reaches runs outside it');
  });

  it('should call a dockerd running in this very container local (Docker-in-Docker)', () => {
    expect(dockerPlacement({}, inside('/.dockerenv', true))).toEqual({ placement: 'local', why: 'dockerd runs in this container (/.dockerenv exists): Docker-in-Docker' });
  });
});

describe('npm run doctor on this machine', () => {
  // Nothing but Node here: no Docker engine, no emulator, no AWS. Settings are pinned so that the answer does not
  // depend on the shell this runs from; the token and keys are set to prove that they never appear.
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    TMPDIR: process.env.TMPDIR,
    LOCALSTACK_AUTH_TOKEN: TOKEN,
    AWS_SECRET_ACCESS_KEY: AWS_SECRET,
    DOCKER_HOST: `unix://${path.join(PROJECT_ROOT, '.harness', 'no-docker.sock')}`,
    AWS_EC2_METADATA_DISABLED: 'true',
  };
  // A port that was free a moment ago: nothing answers there.
  beforeAll(async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    env.HARNESS_ENDPOINT = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    await new Promise((resolve) => server.close(resolve));
  });
  const doctor = (...args: string[]) =>
    spawnSync(process.execPath, [path.join(PROJECT_ROOT, 'harness', 'cli', 'doctor.ts'), ...args], { cwd: PROJECT_ROOT, env, encoding: 'utf8', timeout: 60_000 });

  it('should report local ready and every other target not ready with its reason, exit 0, and print no secret', () => {
    const run = doctor('--json');
    expect(run.status).toBe(0);
    expect(run.stdout + run.stderr).not.toContain(TOKEN);
    expect(run.stdout + run.stderr).not.toContain(AWS_SECRET);
    const report = JSON.parse(run.stdout) as { localReady: boolean; targets: TargetVerdict[] };
    expect(report.localReady).toBe(true);
    expect(report.targets.map((t) => [t.target, t.ready])).toEqual([
      ['local', true],
      ['localstack', false],
      ['endpoint', false],
      ['aws', false],
    ]);
    const [, localstack, endpoint, aws] = report.targets;
    expect(localstack!.reason).toMatch(/^no Docker engine answers \(.*no-docker\.sock: ENOENT\)$/);
    expect(endpoint!.reason).toBe(`nothing answers at ${env.HARNESS_ENDPOINT} (ECONNREFUSED)`);
    expect(aws!.reason).toMatch(/^The aws target refuses to run: HARNESS_AWS_ACCOUNT is not set/);
  });

  it('should print the table for a person', () => {
    const run = doctor();
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^ {2}local {7}ready {6}Node v\d+\.\d+\.\d+, dependencies installed/m);
    expect(run.stdout).toMatch(/^ {2}localstack {2}not ready {2}no Docker engine answers/m);
    expect(run.stdout).toMatch(/LOCALSTACK_AUTH_TOKEN\s+set \(not shown\)/);
    expect(run.stdout).toContain('npm run scenarios would run: local (HARNESS_TARGET is unset and no Docker engine answers)');
    expect(run.stdout).not.toContain(TOKEN);
  });
});
