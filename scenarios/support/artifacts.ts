import { cpSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeEach, inject } from 'vitest';
import { redact } from '../../harness/core/redact.ts';
import { env, exchanges } from './env.ts';

/**
 * When a scenario fails, everything needed to understand it without a rerun goes into
 * `<run folder>/failures/<scenario>/`, and the failure message says where:
 * - exchanges.json: every request and response of the scenario;
 * - function.log: the function's recent log lines;
 * - files.txt and files/: what the function sees under its mount path;
 * - INDEX.txt: where the template, deploy output and container logs of the run are.
 * All text is redacted.
 */

const MAX_FILES_COPIED = 200;

beforeEach((context) => {
  exchanges.length = 0;
  context.onTestFailed(async ({ task }) => {
    const dir = path.join(inject('environment').runDir, 'failures', slug(task.fullName ?? task.name));
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'exchanges.json'), redact(JSON.stringify(exchanges, null, 2)));
    writeFileSync(path.join(dir, 'function.log'), redact((await env.logs().catch((e: Error) => [`(logs unavailable: ${e.message})`])).join('\n')));
    writeFileSync(path.join(dir, 'files.txt'), await snapshotFiles(dir));
    writeFileSync(path.join(dir, 'INDEX.txt'), runIndex(env.info.runDir));
    const pointer = `\n\nFailure artifacts: ${dir}`;
    for (const error of task.result?.errors ?? []) error.message += pointer;
  });
});

/** Lists the mount (and copies it where the target has it on the host); returns the listing. */
async function snapshotFiles(dir: string): Promise<string> {
  try {
    const root = await env.files.list();
    const messages = await env.files.list('messages');
    if (env.info.efsDir && existsSync(env.info.efsDir)) {
      let copied = 0;
      cpSync(env.info.efsDir, path.join(dir, 'files'), { recursive: true, filter: () => copied++ < MAX_FILES_COPIED });
    }
    return [`${env.info.mountPath}/: ${root.join(' ')}`, `${env.info.mountPath}/messages/ (${messages.length}):`, ...messages].join('\n');
  } catch (error) {
    return `(files unavailable: ${(error as Error).message})`;
  }
}

function runIndex(runDir: string): string {
  const known: Record<string, string> = {
    'cdk.out': 'synthesized cloud assembly (the template is <stack>.template.json)',
    logs: 'function log files (local target)',
    'deploy.log': 'cdk deploy output',
    'destroy.log': 'cdk destroy output (written at teardown)',
    'outputs.json': 'stack outputs',
    'localstack.log': 'LocalStack container log lines',
    'start-error.txt': 'why the target failed to start (stack and causes)',
  };
  const present = existsSync(runDir) ? readdirSync(runDir) : [];
  return present.map((name) => `${path.join(runDir, name)}\t${known[name] ?? ''}`).join('\n');
}

function slug(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 120) || 'scenario';
}
