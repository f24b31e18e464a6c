import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { dockerEngineAnswers, dockerSocketCandidates, pingDocker, selectTarget } from './select.ts';

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
    // Docker Engine API, GET /_ping: 200 "OK" (docs.docker.com/reference/api/engine/version/v1.57/operations/SystemPing);
    // moby's version middleware sets `Server: Docker/<version> (<os>)`, `Api-Version` and `Ostype` on every answer
    // (moby/moby api/server/middleware/version.go).
    const socketPath = await engine('docker', (res) =>
      res.writeHead(200, { Server: 'Docker/28.5.1 (linux)', 'Api-Version': '1.51', Ostype: 'linux', 'Content-Type': 'text/plain; charset=utf-8' }).end('OK'),
    );
    await expect(pingDocker({ socketPath })).resolves.toEqual({ ok: true, server: 'Docker/28.5.1 (linux)', apiVersion: '1.51', podman: false });
    await expect(dockerEngineAnswers({ DOCKER_HOST: `unix://${socketPath}` })).resolves.toBe(true);
  });

  it('should tell Podman\'s Docker-compatible API by its Libpod-Api-Version header', async () => {
    // containers/podman pkg/api/handlers/compat/ping.go: API-Version, Libpod-API-Version, body "OK".
    const socketPath = await engine('podman', (res) => res.writeHead(200, { 'API-Version': '1.41', 'Libpod-API-Version': '5.4.0' }).end('OK\n'));
    await expect(pingDocker({ socketPath })).resolves.toEqual({ ok: true, apiVersion: '1.41', podman: true });
  });

  it('should report an engine that answers with an error', async () => {
    // moby's client treats a 500 from /_ping as "daemon unhealthy" (moby/moby client/ping.go).
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
