import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  CdkError,
  cdkBootstrapCommand,
  cdkDeployCommand,
  cdkDestroyCommand,
  readOutputs,
  requireOutput,
  runCdk,
  TAIL_LINES,
  type CdkCommand,
} from './cdk.ts';
import { PROJECT_ROOT } from '../core/run.ts';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'harness-cdk-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const env = { PATH: process.env.PATH, AWS_REGION: 'eu-west-1' };

describe('cdk command lines', () => {
  it('deploys one stack from the assembly folder with outputs, tags and no prompts', () => {
    const cmd = cdkDeployCommand({
      cli: 'cdk',
      assemblyDir: '/runs/x/cdk.out',
      stackName: 'harness-20261126-101500-ab12',
      outputsFile: '/runs/x/outputs.json',
      tags: { harness: 'apigw-vpc-lambda-efs', 'harness:run-id': '20261126-101500-ab12' },
      env,
    });
    expect(cmd.command).toBe(process.execPath);
    expect(cmd.args).toEqual([
      path.join(PROJECT_ROOT, 'node_modules/aws-cdk/bin/cdk'),
      'deploy',
      'harness-20261126-101500-ab12',
      '--app',
      '/runs/x/cdk.out',
      '--require-approval',
      'never',
      '--outputs-file',
      '/runs/x/outputs.json',
      '--tags',
      'harness=apigw-vpc-lambda-efs',
      '--tags',
      'harness:run-id=20261126-101500-ab12',
      '--progress',
      'events',
      '--ci',
      '--no-notices',
    ]);
    expect(cmd.env).toBe(env);
  });

  it('runs cdklocal through its own entry script', () => {
    const cmd = cdkDestroyCommand({ cli: 'cdklocal', assemblyDir: '/a b/cdk.out', stackName: 'S', env });
    expect(cmd.args).toEqual([
      path.join(PROJECT_ROOT, 'node_modules/aws-cdk-local/bin/cdklocal'),
      'destroy',
      'S',
      '--app',
      '/a b/cdk.out',
      '--force',
      '--ci',
      '--no-notices',
    ]);
  });

  it('bootstraps an explicit environment, or the credentials’ one when none is given', () => {
    expect(cdkBootstrapCommand({ cli: 'cdklocal', assemblyDir: '/o', env, environment: 'aws://000000000000/us-east-1' }).args.slice(1)).toEqual([
      'bootstrap',
      'aws://000000000000/us-east-1',
      '--app',
      '/o',
      '--ci',
      '--no-notices',
    ]);
    expect(cdkBootstrapCommand({ cli: 'cdk', assemblyDir: '/o', env }).args.slice(1)).toEqual(['bootstrap', '--app', '/o', '--ci', '--no-notices']);
    expect(() => cdkBootstrapCommand({ cli: 'cdk', assemblyDir: '/o', env, environment: 'us-east-1' })).toThrow(/aws:\/\/<12-digit account>\/<region>/);
  });

  it('refuses tags CloudFormation would reject, before anything runs', () => {
    const deploy = (tags: Record<string, string>) =>
      cdkDeployCommand({ cli: 'cdk', assemblyDir: '/o', stackName: 'S', outputsFile: '/o.json', tags, env });
    expect(() => deploy({ 'aws:owner': 'me' })).toThrow(/tag key "aws:owner"/);
    expect(() => deploy({ owner: 'a;b' })).toThrow(/owner="a;b"/);
    expect(() => deploy({ '': 'x' })).toThrow(/tag key ""/);
  });

  it('has entry scripts that exist in node_modules', () => {
    for (const cli of ['cdk', 'cdklocal'] as const) {
      const [entry] = cdkDestroyCommand({ cli, assemblyDir: '/o', stackName: 'S', env }).args;
      expect(spawnSync(process.execPath, ['--check', entry!]).status, entry).toBe(0);
    }
  });
});

/** A command that runs a small Node script standing in for the CLI. */
function fake(script: string, extraEnv: NodeJS.ProcessEnv = {}): CdkCommand {
  const file = path.join(tmp, `fake-${Math.random().toString(36).slice(2)}.mjs`);
  writeFileSync(file, script);
  return { command: process.execPath, args: [file, 'deploy'], env: { PATH: process.env.PATH, ...extraEnv } };
}

describe('runCdk', () => {
  it('streams whole lines of stdout and stderr as they come, and resolves with the output', async () => {
    const seen: string[] = [];
    const logFile = path.join(tmp, 'cdk.log');
    // A line split across writes is one line; CRLF endings lose the CR; an unterminated last line still counts.
    const out = await runCdk(
      fake(`process.stdout.write('one\\ntw'); process.stderr.write('three\\r\\n'); setTimeout(() => process.stdout.write('o\\nlast'), 20);`),
      { onLine: (l) => seen.push(l), logFile },
    );
    const expected = ['last', 'one', 'three', 'two'];
    expect([...seen].sort()).toEqual(expected);
    expect(out.split('\n').sort()).toEqual(expected);
    expect(readFileSync(logFile, 'utf8').trim().split('\n').sort()).toEqual(expected);
  });

  it('fails with the exit code and only the last lines', async () => {
    const total = TAIL_LINES + 10;
    const error = await runCdk(fake(`for (let i = 1; i <= ${total}; i++) console.log('line ' + i); process.exit(3);`)).catch((e) => e);
    expect(error).toBeInstanceOf(CdkError);
    expect(error.exitCode).toBe(3);
    expect(error.tail).toHaveLength(TAIL_LINES);
    expect(error.tail.at(-1)).toBe(`line ${total}`);
    expect(error.message).toMatch(/^`fake-\w+\.mjs deploy` exited with code 3; its last 40 lines:/);
    expect(error.message).not.toContain('line 10\n');
  });

  it('never lets a secret through: not to the callback, the log, the output or the error', async () => {
    const token = 'ls-AbCd1234-efgh-5678-ijkl';
    const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYzzzzzzzzzz';
    const seen: string[] = [];
    const logFile = path.join(tmp, 'secret.log');
    const error = await runCdk(
      fake(`console.log('token ' + process.env.LOCALSTACK_AUTH_TOKEN); console.error('key ' + process.env.AWS_SECRET_ACCESS_KEY); process.exit(1);`, {
        LOCALSTACK_AUTH_TOKEN: token,
        AWS_SECRET_ACCESS_KEY: secret,
      }),
      { onLine: (l) => seen.push(l), logFile },
    ).catch((e) => e);
    const everything = [error.message, ...error.tail, ...seen, readFileSync(logFile, 'utf8')].join('\n');
    expect(everything).toContain('token ***');
    expect(everything).toContain('key ***');
    expect(everything).not.toContain(token);
    expect(everything).not.toContain(secret);
  });

  it('kills the CLI and the processes it started when aborted', async () => {
    const pidFile = path.join(tmp, 'grandchild.pid');
    const controller = new AbortController();
    const run = runCdk(
      fake(`
        import { spawn } from 'node:child_process';
        import { writeFileSync } from 'node:fs';
        const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
        writeFileSync(${JSON.stringify(pidFile)}, String(child.pid));
        console.log('started');
        setInterval(() => {}, 1000);
      `),
      { onLine: (l) => l === 'started' && controller.abort(), signal: controller.signal },
    );
    const error = await run.catch((e) => e);
    expect(error).toBeInstanceOf(CdkError);
    expect(error.message).toMatch(/was aborted/);
    const grandchild = Number(readFileSync(pidFile, 'utf8'));
    await expect.poll(() => isAlive(grandchild), { timeout: 5_000 }).toBe(false);
  });

  it('does not start when already aborted', async () => {
    const pidFile = path.join(tmp, 'never.pid');
    const error = await runCdk(fake(`require('node:fs').writeFileSync(${JSON.stringify(pidFile)}, '1')`), { signal: AbortSignal.abort() }).catch((e) => e);
    expect(error.message).toMatch(/was not started: aborted/);
    await new Promise((r) => setTimeout(r, 200));
    expect(() => readFileSync(pidFile)).toThrow();
  });

  it('says when the executable cannot start', async () => {
    const error = await runCdk({ command: path.join(tmp, 'no-such-cli'), args: ['x', 'deploy'], env: {} }).catch((e) => e);
    expect(error).toBeInstanceOf(CdkError);
    expect(error.message).toMatch(/could not start: .*ENOENT/);
  });
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('readOutputs', () => {
  const file = path.join(tmp, 'outputs.json');

  it('returns the stack’s outputs as strings', () => {
    writeFileSync(file, JSON.stringify({ S: { ApiId: 'abc123', Port: 4566 }, Other: { X: 'y' } }));
    expect(readOutputs(file, 'S')).toEqual({ ApiId: 'abc123', Port: '4566' });
  });

  it('names the stacks it has when the one asked for is absent', () => {
    writeFileSync(file, JSON.stringify({ Other: { X: 'y' } }));
    expect(() => readOutputs(file, 'S')).toThrow(/no outputs for stack "S" \(it has: Other\)/);
  });

  it('says when the file is missing or not JSON', () => {
    expect(() => readOutputs(path.join(tmp, 'absent.json'), 'S')).toThrow(/wrote no outputs file/);
    writeFileSync(file, '{');
    expect(() => readOutputs(file, 'S')).toThrow(/is not JSON/);
  });

  it('requireOutput names the missing output and the ones present', () => {
    expect(requireOutput({ ApiId: 'a' }, 'ApiId', 'S')).toBe('a');
    expect(() => requireOutput({ ApiId: 'a' }, 'FunctionName', 'S')).toThrow(/Stack "S" has no output FunctionName \(it has: ApiId\)/);
  });
});
