import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DockerEngine } from '../../core/docker-engine.ts';
import type { FunctionModel } from '../../model/assembly.ts';
import { containerSandbox } from './container-sandbox.ts';
import { fileURLToPath } from 'node:url';
import { FunctionRuntime, type InvokeOutcome } from './runtime.ts';

/**
 * The differential test: one probe handler runs in process mode (the harness's bootstrap) and in container mode
 * (the real runtime client, aws-lambda-ric 4.0.2, in the Lambda stand-in image), and everything the function can
 * observe must be the same, after the normalization below, except the differences listed in KNOWN_DIFFERENCES
 * (also the table in docs/local.md). A difference that is not listed fails the test.
 *
 * Neither side is a fake. The reference is the real client from npm (aws-lambda-ric 4.0.2, its index.mjs), built
 * on this machine, in the stand-in image. The image's entrypoint and bootstrap follow the Lambda base images'
 * published layout (harness/dev/images.ts says what is and is not copied from them).
 */

/** What is allowed to differ, and why. Each entry names the observation it removes from the comparison. */
export const KNOWN_DIFFERENCES = {
  'stack frames of the runtime': "below the handler's own frame a stack names the runtime's file (bootstrap.ts or /var/runtime/index.mjs)",
  'paths': "the task root, runtime folder and mount path are host folders in process mode (/var/task, /var/runtime, /mnt/msg in a container)",
  'image variables': 'PATH, LD_LIBRARY_PATH, NODE_PATH and HOSTNAME come from the image (its ENV and bootstrap) in container mode, from the harness in process mode',
  'Max Memory Used': "REPORT has it only in process mode, which reads the process's peak resident memory; container mode would need the engine's statistics, which have no peak on cgroup v2",
  'Runtime API address': 'AWS_LAMBDA_RUNTIME_API is set in container mode only: process mode talks to its child over IPC',
  'task root writes': 'writing under /var/task fails with EROFS in a container (a read-only mount, as in Lambda), with EACCES in process mode (a folder the function user does not own; the harness cannot mount it read-only)',
  'line order at the end of an invocation': "in container mode a line the runtime writes just before it posts its result reaches the harness through the Docker engine and can come after END and REPORT: each invocation's lines are compared as a set, START first",
} as const;

const PROBE = `
import { execSync } from 'node:child_process';
import { writeFileSync, readFileSync } from 'node:fs';
const tryWrite = (file) => { try { writeFileSync(file, 'x'); return 'writable'; } catch (e) { return e.code; } };
export async function handler(event, context) {
  switch (event.op) {
    case 'observe': {
      const { getRemainingTimeInMillis, ...fields } = context;
      return {
        contextKeys: Object.keys(context),
        contextTypes: Object.fromEntries(Object.entries(context).map(([k, v]) => [k, typeof v])),
        fields,
        remainingIsPositive: getRemainingTimeInMillis() > 0,
        env: process.env,
        awslambda: typeof awslambda === 'object' ? Object.keys(awslambda).sort() : typeof awslambda,
        gc: typeof globalThis.gc,
        execArgv: process.execArgv,
        ids: [process.getuid(), process.getgid()],
        nofile: execSync('ulimit -n', { shell: '/bin/sh' }).toString().trim(),
        tmp: tryWrite('/tmp/probe-' + Math.random()),
        cwdIsTaskRoot: process.cwd() === process.env.LAMBDA_TASK_ROOT,
        taskRootWritable: tryWrite(process.env.LAMBDA_TASK_ROOT + '/probe-write'),
        nodeMajor: process.versions.node.split('.')[0],
      };
    }
    case 'log':
      console.log('plain line');
      console.log('two\\nlines', { a: 1 });
      console.info('info %s', 'formatted');
      console.warn('a warning');
      console.error('an error', new Error('logged error'));
      console.debug('debug line');
      process.stdout.write('raw stdout\\n');
      process.stderr.write('raw stderr\\n');
      return 'logged';
    case 'throw': { const e = new TypeError('bad thing'); e.code = 'E_BAD'; throw e; }
    case 'throw-string': throw 'plain string';
    case 'throw-object': throw { custom: true };
    case 'undefined': return undefined;
    case 'circular': { const o = {}; o.self = o; return o; }
    case 'stray-rejection': Promise.reject(new Error('stray')); await new Promise((r) => setTimeout(r, 200)); return 'late';
    case 'uncaught': setTimeout(() => { throw new RangeError('from a timer'); }, 0); await new Promise((r) => setTimeout(r, 200)); return 'late';
    case 'exit': process.exit(3);
    case 'sleep': await new Promise((r) => setTimeout(r, event.ms)); return 'slept';
    default: return { echo: event };
  }
}
export const streaming = awslambda.streamifyResponse(async (event, stream, context) => {
  stream.write('part one, ');
  stream.end('part two for ' + context.awsRequestId.length);
});
export const httpStreaming = awslambda.streamifyResponse(async (event, stream) => {
  const out = awslambda.HttpResponseStream.from(stream, { statusCode: 201, headers: { 'x-probe': '1' } });
  out.write('body');
  out.end();
});
export const streamingFails = awslambda.streamifyResponse(async (event, stream) => {
  stream.write('half');
  throw new Error('stream broke');
});
export const callbackStyle = (event, context, callback) => callback(null, 'no');
export const notAFunction = 42;
`;

const BOOTSTRAP = fileURLToPath(new URL('./bootstrap.ts', import.meta.url));
let engine: DockerEngine;
let assetDir: string;
const runtimes: FunctionRuntime[] = [];
const runAs = process.getuid?.() === 0 ? { uid: 1001, gid: 1001 } : undefined;

beforeAll(async () => {
  engine = (await DockerEngine.connect(process.env))!;
  assetDir = mkdtempSync(path.join(os.tmpdir(), 'differential-'));
  chmodSync(assetDir, 0o755);
  writeFileSync(path.join(assetDir, 'probe.mjs'), PROBE);
  writeFileSync(path.join(assetDir, 'broken.mjs'), 'export const handler = async () => { return ( ;\n');
});
afterAll(async () => {
  await Promise.all(runtimes.map((r) => r.close()));
  rmSync(assetDir, { recursive: true, force: true });
});

type Mode = 'process' | 'container';
interface Run {
  outcome: InvokeOutcome;
  lines: string[];
}

function fn(handler: string): FunctionModel {
  return {
    logicalId: 'Probe',
    functionName: 'probe-fn',
    handler,
    runtime: 'nodejs24.x',
    timeoutSeconds: 2,
    memoryMb: 128,
    ephemeralStorageMb: 512,
    environment: { PROBE_VARIABLE: 'from the template' },
    assetDir,
  };
}

function runtime(mode: Mode, handler: string, lines: string[]): FunctionRuntime {
  const r = new FunctionRuntime({
    fn: fn(handler),
    environment: fn(handler).environment,
    region: 'us-east-1',
    accountId: '000000000000',
    log: (line) => lines.push(line),
    ...(runAs ? { runAs } : {}),
    ...(mode === 'container'
      ? {
          sandbox: containerSandbox({
            engine,
            image: inject('dockerImages').lambda,
            runId: 'differential',
            network: 'host',
            efsDir: () => undefined,
            fallbackUser: runAs ?? { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 },
          }),
        }
      : {}),
  });
  runtimes.push(r);
  return r;
}

/** Runs the same events in both modes, each in a fresh runtime, sequentially (one environment each). */
async function both(handler: string, events: unknown[]): Promise<Record<Mode, Run[]>> {
  const result = {} as Record<Mode, Run[]>;
  for (const mode of ['process', 'container'] as const) {
    const runs: Run[] = [];
    const lines: string[] = [];
    const r = runtime(mode, handler, lines);
    for (const [index, event] of events.entries()) {
      const before = lines.length;
      const outcome = await r.invoke(event, `req-${index}-0000-0000-0000-000000000000`);
      // Output written by an environment as it dies can trail its REPORT by a moment.
      await new Promise((resolve) => setTimeout(resolve, 150));
      runs.push({ outcome, lines: lines.slice(before) });
    }
    await r.close();
    result[mode] = runs;
  }
  return result;
}

/** Runs made comparable: normalized, and each invocation's lines after START sorted ('line order at the end of an invocation'). */
function comparable(runs: readonly Run[]): unknown {
  return (normalize(runs) as Run[]).map((run) => {
    const [start, ...rest] = run.lines;
    return { ...run, lines: [start, ...rest.sort()] };
  });
}

/** Removes what KNOWN_DIFFERENCES allows to differ, and what differs from run to run (times, ids, durations). */
function normalize(value: unknown): unknown {
  const text = JSON.stringify(value, (key, v: unknown) => (key === 'durationMs' ? '<ms>' : v))
    .replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z/g, '<time>')
    .replace(/Root=1-[0-9a-f]{8}-[0-9a-f]{24}/g, '<trace>')
    .replace(/\[\$LATEST\][0-9a-f]{32}/g, '[$LATEST]<stream>')
    .replace(/(Init )?Duration: [\d.]+ ms/g, '$1Duration: <ms> ms')
    .replace(/Billed Duration: \d+ ms/g, 'Billed Duration: <ms> ms')
    .replace(/\\tMax Memory Used: \d+ MB/g, '')
    // 'paths': the runtime's own file.
    .replaceAll(BOOTSTRAP, '<runtime>')
    .replaceAll('/var/runtime/index.mjs', '<runtime>')
    .replaceAll(`file://${assetDir}`, 'file:///<task>')
    .replaceAll(assetDir, '/<task>')
    .replaceAll('file:///var/task', 'file:///<task>')
    .replaceAll('/var/task', '/<task>');
  const parsed = JSON.parse(text) as unknown;
  return dropRuntimeFrames(parsed);
}

/** Stack lines that name the runtime's own files (bootstrap.ts, /var/runtime/index.mjs, Node's internals) go. */
function dropRuntimeFrames(value: unknown): unknown {
  if (Array.isArray(value)) return value.filter((v) => !(typeof v === 'string' && isRuntimeFrame(v))).map(dropRuntimeFrames);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, dropRuntimeFrames(v)]));
  if (typeof value === 'string' && value.includes('\r')) return dropRuntimeFramesInLine(value);
  const json = typeof value === 'string' ? value.indexOf('\t{') : -1;
  if (typeof value === 'string' && json >= 0 && value.includes('"stack":[')) {
    // A logged error ("Invoke Error \t{…}"): its stack lines are filtered the same way.
    const logged = JSON.parse(value.slice(json + 1)) as { stack?: string[] };
    if (logged.stack) logged.stack = logged.stack.filter((line) => !isRuntimeFrame(line));
    return `${value.slice(0, json + 1)}${JSON.stringify(logged)}`;
  }
  return value;
}

const isRuntimeFrame = (line: string): boolean => /^"?\s+at /.test(line) && !line.includes('<task>');

/** In a log line an Error's stack is one line, its newlines as \r: the runtime's frames go there too. */
const dropRuntimeFramesInLine = (line: string): string => line.replace(/\r\s+at [^\r]*/g, (frame) => (frame.includes('<task>') ? frame : ''));

describe('process mode against the real runtime client (container mode)', () => {
  it('should give the handler the same context, globals, flags, identity and limits', async () => {
    const { process: p, container: c } = await both('probe.handler', [{ op: 'observe' }]);
    const observe = (run: Run) => {
      const result = structuredClone((run.outcome as { result: Record<string, unknown> }).result);
      const env = result.env as Record<string, string>;
      // 'image variables' and 'paths': compared by name only where they come from the image or are host folders.
      for (const name of ['PATH', 'LD_LIBRARY_PATH', 'NODE_PATH', 'HOSTNAME', 'HOME', 'PWD', 'SHLVL', '_', 'AWS_LAMBDA_RUNTIME_API']) delete env[name];
      for (const name of ['LAMBDA_TASK_ROOT', 'LAMBDA_RUNTIME_DIR']) env[name] = env[name] ? '<set>' : '<missing>';
      delete result.env;
      // 'task root writes': either way the function cannot write there.
      result.taskRootWritable = ['EROFS', 'EACCES'].includes(result.taskRootWritable as string) ? 'refused' : result.taskRootWritable;
      return { ...result, env };
    };
    expect(p[0]!.outcome.ok, JSON.stringify(p[0]!.outcome)).toBe(true);
    expect(c[0]!.outcome.ok, JSON.stringify(c[0]!.outcome)).toBe(true);
    expect(normalize(observe(p[0]!))).toEqual(normalize(observe(c[0]!)));
  });

  it('should write the same log lines: formatted console lines, raw writes, START/END/REPORT', async () => {
    const { process: p, container: c } = await both('probe.handler', [{ op: 'log' }, { op: 'log' }]);
    expect(comparable(p)).toEqual(comparable(c));
  });

  it('should report thrown errors, non-Error throws, unserializable and undefined results the same way, logs included', async () => {
    const events = [{ op: 'throw' }, { op: 'throw-string' }, { op: 'throw-object' }, { op: 'circular' }, { op: 'undefined' }];
    const { process: p, container: c } = await both('probe.handler', events);
    expect(comparable(p)).toEqual(comparable(c));
  });

  it('should fail the invocation the same way when the process dies: unhandled rejection, uncaught exception, exit', async () => {
    for (const op of ['stray-rejection', 'uncaught', 'exit']) {
      const { process: p, container: c } = await both('probe.handler', [{ op }, { op: 'echo' }]);
      // Node's own report of the error on stderr included (its frames and paths normalized).
      expect(comparable(p), op).toEqual(comparable(c));
      expect(p[0]!.outcome.ok, op).toBe(false);
    }
  });

  it("should time out the same way at the function's timeout and serve the next invocation from a new environment", async () => {
    const { process: p, container: c } = await both('probe.handler', [{ op: 'sleep', ms: 5_000 }, { op: 'echo' }]);
    expect(comparable(p)).toEqual(comparable(c));
    expect(p[0]!.outcome).toMatchObject({ ok: false, errorType: 'Sandbox.Timedout' });
  });

  it('should stream responses the same way (awslambda.streamifyResponse, HttpResponseStream, a failing stream)', async () => {
    for (const handler of ['probe.streaming', 'probe.httpStreaming', 'probe.streamingFails']) {
      const { process: p, container: c } = await both(handler, [{}]);
      expect(comparable(p), handler).toEqual(comparable(c));
    }
  });

  it('should fail init the same way: missing export, not a function, syntax error, missing module, callback handler', async () => {
    for (const handler of ['probe.nothing', 'probe.notAFunction', 'broken.handler', 'missing.handler', 'probe.callbackStyle']) {
      const { process: p, container: c } = await both(handler, [{}]);
      expect(comparable(p), handler).toEqual(comparable(c));
      expect(p[0]!.outcome.ok, handler).toBe(false);
    }
  });
});
