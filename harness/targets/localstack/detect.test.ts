import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { classifyEmulator, emulatorProblem, probeEmulator, requireCapableEmulator } from './detect.ts';
import { HEALTH_BODIES } from '../../test-support/localstack-fixtures.ts';

// Bodies as the emulators send them: LocalStack's and fakecloud's from harness/test-support/localstack-fixtures.ts (sources cited there);
// Floci's HealthController answers both /_floci/health and /_localstack/health; MiniStack's /_ministack/health.
// The health paths are the ones ../shared/DESIGN.md gives (its facts about Floci and MiniStack carry their sources
// there). Floci also answering the LocalStack path, and the Floci and MiniStack bodies here, are this file's own.
// They were not checked against Floci's or MiniStack's code: a source for them is still owed.
const { localstackAll: LOCALSTACK_ALL, localstackWithoutHttpApis: LOCALSTACK_HOBBY, localstackBase: LOCALSTACK_BASE, fakecloud: FAKECLOUD } = HEALTH_BODIES;
const FLOCI = JSON.stringify({ services: { s3: 'running', lambda: 'running', efs: 'running' }, edition: 'floci-always-free', version: '1.5.2' });
const MINISTACK = JSON.stringify({ services: { s3: 'available', lambda: 'available' }, edition: 'light', version: '1.2.0' });
const NOT_FOUND = { status: 404, body: '<Error><Code>NoSuchBucket</Code></Error>' };
const REFUSED = { error: 'ECONNREFUSED' };
const HOW = 'Start it with docker compose up.';

describe('classifyEmulator', () => {
  it('should accept LocalStack with every service the pattern needs', () => {
    const emulator = classifyEmulator({ floci: NOT_FOUND, ministack: NOT_FOUND, localstack: { status: 200, body: LOCALSTACK_ALL } });
    expect(emulator).toEqual({ kind: 'localstack', edition: 'pro', version: '2026.8.0', missing: [] });
    expect(emulatorProblem(emulator, 'http://localhost:4566', HOW)).toBeUndefined();
  });

  it('should accept a Base-plan LocalStack without efs: the EFS API is optional', () => {
    const emulator = classifyEmulator({ floci: NOT_FOUND, ministack: NOT_FOUND, fakecloud: NOT_FOUND, localstack: { status: 200, body: LOCALSTACK_BASE } });
    expect(emulator).toEqual({ kind: 'localstack', edition: 'pro', version: '2026.8.0', missing: [] });
  });

  it('should name the missing services and their plans when LocalStack lacks them', () => {
    const emulator = classifyEmulator({ floci: NOT_FOUND, ministack: NOT_FOUND, localstack: { status: 200, body: LOCALSTACK_HOBBY } });
    expect(emulator).toMatchObject({ kind: 'localstack', missing: [{ service: 'apigatewayv2', plan: 'Base', state: 'disabled' }] });
    expect(emulatorProblem(emulator, 'http://localhost:4566', HOW)).toBe(
      'LocalStack (2026.8.0, edition pro) at http://localhost:4566 does not offer apigatewayv2 (disabled; in the Base plan). ' +
        "The pattern needs LocalStack's Base plan for HTTP APIs (apigatewayv2; Lambda and CloudFormation are in every plan). " +
        'The EFS API (Ultimate plan) is optional: LocalStack never mounts EFS, so without it the harness deploys the stack without ' +
        'its AWS::EFS::* resources (HARNESS_LOCALSTACK_EFS=auto). Check the plan of the workspace your ' +
        'LOCALSTACK_AUTH_TOKEN belongs to (https://app.localstack.cloud), and that SERVICES, if set, lists these services.',
    );
  });

  it('should recognize fakecloud and say that it mounts nothing into functions', () => {
    const emulator = classifyEmulator({ floci: NOT_FOUND, ministack: NOT_FOUND, fakecloud: { status: 200, body: FAKECLOUD }, localstack: NOT_FOUND });
    expect(emulator).toEqual({ kind: 'fakecloud', version: '0.9.1' });
    expect(emulatorProblem(emulator, 'http://localhost:4566', HOW)).toContain(
      'is fakecloud 0.9.1, which cannot host this pattern: its CloudFormation can deploy the stack, but it mounts nothing into a function ' +
        'and has no equivalent of LAMBDA_DOCKER_FLAGS',
    );
  });

  it('should recognize Floci by its own path even though it also answers as LocalStack, and say why it cannot host the stack', () => {
    const emulator = classifyEmulator({ floci: { status: 200, body: FLOCI }, ministack: NOT_FOUND, localstack: { status: 200, body: FLOCI } });
    expect(emulator).toEqual({ kind: 'floci', version: '1.5.2' });
    const problem = emulatorProblem(emulator, 'http://localhost:4566', HOW)!;
    expect(problem).toContain('is Floci 1.5.2');
    expect(problem).toContain("stubs AWS::EFS::* in CloudFormation, the access point ARN it invents fails Lambda's check and the stack rolls back");
  });

  it('should recognize Floci by its edition on the LocalStack path alone', () => {
    expect(classifyEmulator({ localstack: { status: 200, body: FLOCI } })).toMatchObject({ kind: 'floci' });
  });

  it('should recognize MiniStack and name the resource types it rejects', () => {
    const emulator = classifyEmulator({ floci: NOT_FOUND, ministack: { status: 200, body: MINISTACK }, localstack: { status: 200, body: MINISTACK } });
    expect(emulator).toEqual({ kind: 'ministack', version: '1.2.0' });
    expect(emulatorProblem(emulator, 'http://localhost:4566', HOW)).toContain('rejects AWS::EFS::* and AWS::EC2::SecurityGroupIngress');
  });

  it('should say nothing answers, with how to start it', () => {
    const emulator = classifyEmulator({ floci: REFUSED, ministack: REFUSED, localstack: REFUSED });
    expect(emulatorProblem(emulator, 'http://localhost:4566', HOW)).toBe('Nothing answers at http://localhost:4566 (ECONNREFUSED). Start it with docker compose up.');
  });

  it('should report what answered when it is no emulator it knows', () => {
    const emulator = classifyEmulator({ floci: NOT_FOUND, ministack: NOT_FOUND, localstack: { status: 200, body: '<html>hello</html>' } });
    expect(emulator.kind).toBe('unknown');
    expect(emulatorProblem(emulator, 'http://localhost:8080', HOW)).toMatch(/^Something answers at http:\/\/localhost:8080, but not as LocalStack \(GET \/_floci\/health → HTTP 404/);
  });
});

describe('probeEmulator', () => {
  let server: Server | undefined;
  afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

  async function serve(routes: Record<string, string>): Promise<string> {
    server = createServer((req, res) => {
      const body = routes[req.url ?? ''];
      res.writeHead(body ? 200 : 404, { 'content-type': 'application/json' }).end(body ?? '{"error":"not found"}');
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  it('should ask every health path and let the classification pick Floci', async () => {
    const endpoint = await serve({ '/_floci/health': FLOCI, '/_localstack/health': FLOCI });
    const results = await probeEmulator(endpoint);
    expect(results.ministack).toEqual({ status: 404, body: '{"error":"not found"}' });
    await expect(requireCapableEmulator(endpoint, HOW)).rejects.toThrow(`The emulator at ${endpoint} is Floci 1.5.2`);
  });

  it('should accept a LocalStack that has everything', async () => {
    const endpoint = await serve({ '/_localstack/health': LOCALSTACK_ALL });
    await expect(requireCapableEmulator(endpoint, HOW)).resolves.toMatchObject({ kind: 'localstack', missing: [] });
  });

  it("should let apigatewayv2's own API decide when the health map does not say it is usable", async () => {
    const endpoint = await serve({ '/_localstack/health': LOCALSTACK_HOBBY });
    await expect(requireCapableEmulator(endpoint, HOW, async () => ({ available: true }))).resolves.toMatchObject({ missing: [] });
    // The answer of a plan without HTTP APIs (aws/catalog_exceptions.py LicenseUpgradeRequiredException, 501).
    const refused = { available: false as const, detail: 'GetApis answered HTTP 501 {"__type":"InternalFailure","message":"Sorry, the apigatewayv2 service is not included within your LocalStack license…"}' };
    await expect(requireCapableEmulator(endpoint, HOW, async () => refused)).rejects.toThrow(
      'does not offer apigatewayv2 (disabled in the health map; GetApis answered HTTP 501',
    );
  });

  it('should find fakecloud by its own health path', async () => {
    const endpoint = await serve({ '/_fakecloud/health': FAKECLOUD });
    await expect(requireCapableEmulator(endpoint, HOW)).rejects.toThrow(`The emulator at ${endpoint} is fakecloud 0.9.1`);
  });

  it('should report a closed port as nothing answering', async () => {
    const endpoint = await serve({});
    await new Promise<void>((resolve) => server!.close(() => resolve()));
    server = undefined;
    await expect(requireCapableEmulator(endpoint, HOW)).rejects.toThrow(`Nothing answers at ${endpoint} (ECONNREFUSED). ${HOW}`);
  });
});
