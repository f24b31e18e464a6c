import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Progress } from '../core/progress.ts';
import { makeRunId, PROJECT_ROOT, RUN_PID_FILE } from '../core/run.ts';
import { START_ERROR_FILE, startTarget } from './start.ts';

// startTarget wired to each real target module, with settings that make each stop at its first check: what a
// user sees when something is missing, and that a failed start leaves no part behind and shows no secret.

const TOKEN_LIKE = 'ls-SeCrEt12-3456-7890-abcd';
const runIds: string[] = [];
function options(env: NodeJS.ProcessEnv) {
  // A real run id: run folders are pruned oldest first, so a made-up old one would be pruned at once.
  const runId = makeRunId();
  runIds.push(runId);
  return { env: { PATH: process.env.PATH, ...env }, progress: new Progress({ quiet: true }), runId, handleSignals: false };
}

/** The error a start fails with; a start that succeeds (and is torn down) fails the test. */
async function failure(started: ReturnType<typeof startTarget>): Promise<Error> {
  const run = await started.catch((error: Error) => error);
  if (run instanceof Error) return run;
  await run.teardown();
  throw new Error(`expected the ${run.info.target} target to fail to start, it started`);
}

afterAll(async () => {
  const { rm } = await import('node:fs/promises');
  await Promise.all(runIds.map((id) => rm(path.join(PROJECT_ROOT, '.harness', 'runs', id), { recursive: true, force: true })));
});

describe('startTarget on each target, when what it needs is missing', () => {
  // The plans are LocalStack's: "API Gateway V2 (HTTP, Management and WebSocket API) in the Base plan"
  // (Source: localstack/localstack-docs@09b2c747973ba165abd0b91745ddfe16d8bf9ad9 src/content/docs/aws/services/apigateway.mdx),
  // EFS tagged "Ultimate" (localstack/localstack-docs@3d2fbc34d0967dbe6b9fa41008dfcea8ead466b4 src/content/docs/aws/services/efs.mdx).
  it('localstack without a token: names the plans and how to get a token, before any Docker call', async () => {
    const error = await failure(startTarget('localstack', options({})));
    expect(error.message).toMatch(/^Target "localstack" failed to start: LOCALSTACK_AUTH_TOKEN is not set/);
    expect(error.message).toMatch(/Base plan for HTTP APIs/);
    expect(error.message).toMatch(/The EFS API \(Ultimate plan\) is optional/);
    expect(error.message).toMatch(/Artifacts: .*\.harness\/runs\/\d{8}-\d{6}-[0-9a-f]{4} \(the full error: start-error.txt\)$/);
  });

  it('localstack with a token but no Docker engine: says so and never shows the token', async () => {
    const error = await failure(startTarget('localstack', options({ LOCALSTACK_AUTH_TOKEN: TOKEN_LIKE, DOCKER_HOST: 'unix:///nonexistent/docker.sock' })));
    expect(error.message).toMatch(/No Docker engine answers \(DOCKER_HOST=unix:\/\/\/nonexistent\/docker.sock\)/);
    expect(error.message).not.toContain(TOKEN_LIKE);
    // Vitest prints causes as they are: none is attached; the full error is in the run folder, redacted.
    expect(error.cause).toBeUndefined();
    const runDir = /Artifacts: (\S+)/.exec(error.message)![1]!;
    const full = readFileSync(path.join(runDir, START_ERROR_FILE), 'utf8');
    expect(full).toMatch(/No Docker engine answers[\s\S]*at startLocalstack/);
    expect(full).not.toContain(TOKEN_LIKE);
  });

  it('endpoint with nothing listening: says to start it with docker compose up', async () => {
    const error = await failure(startTarget('endpoint', options({ HARNESS_ENDPOINT: 'http://127.0.0.1:9' })));
    expect(error.message).toMatch(/^Target "endpoint" failed to start: /);
    expect(error.message).toMatch(/docker compose up/);
  });

  it('aws without HARNESS_AWS_ACCOUNT: says what to set, before synthesizing or deploying anything', async () => {
    const opts = options({ AWS_REGION: 'eu-west-1' });
    const error = await failure(startTarget('aws', opts));
    expect(error.message).toMatch(/^Target "aws" failed to start: .*HARNESS_AWS_ACCOUNT/);
    const runDir = path.join(PROJECT_ROOT, '.harness', 'runs', opts.runId);
    expect(existsSync(path.join(runDir, 'cdk.out'))).toBe(false);
    expect(readdirSync(runDir).filter((f) => f !== RUN_PID_FILE)).toEqual([START_ERROR_FILE]);
  });
});
