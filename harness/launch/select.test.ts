import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { dockerEngineAnswers, dockerSocketCandidates, pingDocker } from '../core/docker-engine.ts';
import { selectTarget } from './select.ts';

const yes = async () => true;
const no = async () => false;

describe('selectTarget', () => {
  it('should take HARNESS_TARGET as given, without asking Docker', async () => {
    const ask = async () => {
      throw new Error('must not be asked');
    };
    await expect(selectTarget({ HARNESS_TARGET: 'aws' }, ask)).resolves.toEqual({ target: 'aws', reason: 'HARNESS_TARGET=aws' });
  });

  it('should never fall back from a named target, even when nothing for it is there', async () => {
    await expect(selectTarget({ HARNESS_TARGET: 'localstack' }, no)).resolves.toMatchObject({ target: 'localstack' });
  });

  it('should reject an unknown target, listing the valid ones', async () => {
    await expect(selectTarget({ HARNESS_TARGET: 'lokal' }, yes)).rejects.toThrow(
      'HARNESS_TARGET="lokal" is not a target. Valid targets: local, localstack, endpoint, aws.',
    );
  });

  it('should pick localstack when unset, Docker answers and a token is set', async () => {
    await expect(selectTarget({ LOCALSTACK_AUTH_TOKEN: 'ls-abcd-1234' }, yes)).resolves.toMatchObject({ target: 'localstack' });
  });

  it('should pick local with the reason when no token is set', async () => {
    await expect(selectTarget({}, yes)).resolves.toEqual({
      target: 'local',
      reason: 'HARNESS_TARGET is unset and LOCALSTACK_AUTH_TOKEN is not set',
    });
  });

  it('should pick local with the reason when Docker does not answer', async () => {
    await expect(selectTarget({ LOCALSTACK_AUTH_TOKEN: 'ls-abcd-1234' }, no)).resolves.toEqual({
      target: 'local',
      reason: 'HARNESS_TARGET is unset and no Docker engine answers',
    });
  });

  it('should not print the token in its reason', async () => {
    const choice = await selectTarget({ LOCALSTACK_AUTH_TOKEN: 'ls-secret-token-value' }, yes);
    expect(choice.reason).not.toContain('ls-secret-token-value');
  });
});

describe('Docker detection', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'select-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('should use DOCKER_HOST when it names a unix socket or a TCP address', () => {
    expect(dockerSocketCandidates({ DOCKER_HOST: 'unix:///run/user/1000/docker.sock' })).toEqual([{ socketPath: '/run/user/1000/docker.sock' }]);
    expect(dockerSocketCandidates({ DOCKER_HOST: 'tcp://10.0.0.5:2376' })).toEqual([{ host: '10.0.0.5', port: 2376 }]);
  });

  it('should report no engine when the socket does not exist', async () => {
    await expect(dockerEngineAnswers({ DOCKER_HOST: `unix://${path.join(dir, 'missing.sock')}` })).resolves.toBe(false);
  });
});

describe('pingDocker', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ping-test-'));
  const servers: Server[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
    rmSync(dir, { recursive: true, force: true });
  });

  /** A fake engine on a unix socket; `answer` writes the response (or nothing, to hang). */
  async function engine(name: string, answer: (res: ServerResponse) => void): Promise<string> {
    const socketPath = path.join(dir, `${name}.sock`);
    const server = createServer((req, res) => (req.url === '/_ping' ? answer(res) : res.writeHead(404).end()));
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    return socketPath;
  }

  it('should read the engine version from a Docker engine\'s answer', async () => {
    // Docker Engine API, GET /_ping: 200 "OK" (source: https://docs.docker.com/reference/api/engine/version/v1.57/operations/SystemPing;
    // github.com/moby/moby@b985e2313a8676e18072b442911fc8f64f17d440 daemon/server/router/system/system_routes.go `pingHandler`,
    // Go's sniffed text/plain); the version middleware sets `Server: Docker/<version> (<os>)`, `Api-Version` and `Ostype`
    // on every answer (same commit, daemon/server/middleware/version.go). Docker 28.5.1's is 1.51 (moby v28.5.1, api/common.go).
    const socketPath = await engine('docker', (res) =>
      res.writeHead(200, { Server: 'Docker/28.5.1 (linux)', 'Api-Version': '1.51', Ostype: 'linux', 'Content-Type': 'text/plain; charset=utf-8' }).end('OK'),
    );
    await expect(pingDocker({ socketPath })).resolves.toEqual({ ok: true, server: 'Docker/28.5.1 (linux)', apiVersion: '1.51', podman: false });
    await expect(dockerEngineAnswers({ DOCKER_HOST: `unix://${socketPath}` })).resolves.toBe(true);
  });

  it('should tell Podman\'s Docker-compatible API by its Libpod-Api-Version header', async () => {
    // Source: github.com/containers/podman@c6580b4a5219c9efb9ab79a540637d8a58b736f8: pkg/api/server/handler_api.go `apiWrapper`
    // sets API-Version (compat 1.44), Libpod-API-Version and `Server: Libpod/<version> (<os>)`; pkg/api/handlers/compat/ping.go
    // sets OSType and writes "OK" (no newline).
    const socketPath = await engine('podman', (res) =>
      res.writeHead(200, { 'API-Version': '1.44', 'Libpod-API-Version': '6.0.0-dev', Server: 'Libpod/6.0.0-dev (linux)', OSType: 'linux' }).end('OK'),
    );
    await expect(pingDocker({ socketPath })).resolves.toEqual({ ok: true, server: 'Libpod/6.0.0-dev (linux)', apiVersion: '1.44', podman: true });
  });

  it('should report an engine that answers with an error', async () => {
    // A daemon in an unhealthy state may answer /_ping with a 500 (github.com/moby/moby@b985e2313a8676e18072b442911fc8f64f17d440
    // client/ping.go `Ping`), its errors as {"message": …} (same commit, daemon/server/server.go, common.ErrorResponse).
    const socketPath = await engine('unhealthy', (res) => res.writeHead(500).end('{"message":"unhealthy"}'));
    await expect(pingDocker({ socketPath })).resolves.toEqual({ ok: false, detail: 'GET /_ping answered HTTP 500' });
  });

  it('should give up on a socket that accepts but never answers, within its bound', async () => {
    const socketPath = await engine('hanging', () => {});
    const started = Date.now();
    await expect(pingDocker({ socketPath }, 200)).resolves.toEqual({ ok: false, detail: 'no answer within 0.2 s' });
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
