/**
 * `npm run bench`: what the local target costs, measured in one run on this machine.
 * - synth, start (synth included), first response, cold start to first 200;
 * - the greeting route over N sequential requests through the local HTTP API (median, p95);
 * - the same handler (the very bundle from the cloud assembly) called directly in this process;
 * - the harness overhead per request (HTTP median − direct median) and the ratio of the two;
 * - the development loop: cold and warm start to the first 200, and `npm run dev`'s edit to new response;
 * - GET /messages page latency at 1k, 10k and 100k stored messages, and their ratio (bench/pages.ts);
 * - the runtime modes: an environment's cold start and warm invoke latency, container / process (bench/runtime-modes.ts).
 * Prints a table and writes .harness/reports/bench.json.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Agent, request } from 'undici';
import { readModel } from '../model/assembly.ts';
import { loadProjectEnv } from '../core/dotenv.ts';
import { toEvent } from '../targets/local/http-api.ts';
import { Progress } from '../core/progress.ts';
import { PROJECT_ROOT } from '../core/run.ts';
import { startTarget } from '../launch/start.ts';
import { benchDevLoop } from '../dev/bench/dev-loop.ts';
import { benchPageLatency } from '../dev/bench/pages.ts';
import { benchRuntimeModes } from '../dev/bench/runtime-modes.ts';

loadProjectEnv();
const { values } = parseArgs({ options: { requests: { type: 'string', default: '1000' } } });
const REQUESTS = Number(values.requests);
const WARMUP = 50;

const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
const stats = (samples: number[]) => {
  const sorted = [...samples].sort((a, b) => a - b);
  return { median: percentile(sorted, 50), p95: percentile(sorted, 95) };
};
const ms = (n: number): string => `${n.toFixed(n < 10 ? 3 : 1)} ms`;

const progress = new Progress({ quiet: true });
const t0 = performance.now();
// Without the warm-start cache: the rows below are a cold start (the development loop section measures both).
const run = await startTarget('local', { progress, env: { ...process.env, HARNESS_SYNTH_CACHE: '0' } });
const startMs = performance.now() - t0;
try {
  const url = `${run.info.apiUrl}/myHelloVPCLambda`;
  const agent = new Agent({ keepAliveTimeout: 10_000, connections: 1 });
  const get = async (): Promise<number> => {
    const res = await request(url, { dispatcher: agent });
    await res.body.text();
    return res.statusCode;
  };
  const t1 = performance.now();
  const firstStatus = await get();
  const firstResponseMs = performance.now() - t1;
  const coldStartMs = performance.now() - t0;
  if (firstStatus !== 200) throw new Error(`first greeting answered ${firstStatus}`);

  for (let i = 0; i < WARMUP; i++) await get();
  const http: number[] = [];
  for (let i = 0; i < REQUESTS; i++) {
    const s = performance.now();
    const status = await get();
    http.push(performance.now() - s);
    if (status !== 200) throw new Error(`request ${i} answered ${status}`);
  }
  await agent.close();

  // The same bundle, called in this process: what the function itself costs.
  const model = readModel(path.join(run.info.runDir, 'cdk.out'), 'HelloVpcLambda');
  process.env.EFS_MOUNT_PATH = run.info.efsDir;
  const bundle = (await import(pathToFileURL(path.join(model.apiFunction.assetDir, 'index.mjs')).href)) as {
    handler: (event: unknown) => Promise<unknown>;
  };
  const route = model.routes.find((r) => r.routeKey === 'ANY /myHelloVPCLambda')!;
  const event = toEvent(
    { method: 'GET', url: '/myHelloVPCLambda', rawHeaders: [], body: Buffer.alloc(0), sourceIp: '127.0.0.1', protocol: 'HTTP/1.1' },
    { route },
    { apiId: 'local', accountId: '000000000000', domainName: 'localhost' },
  );
  // The handler logs a line per request; keep the benchmark's own output readable.
  const log = console.log;
  console.log = () => {};
  for (let i = 0; i < WARMUP; i++) await bundle.handler(event);
  const direct: number[] = [];
  for (let i = 0; i < REQUESTS; i++) {
    const s = performance.now();
    await bundle.handler(event);
    direct.push(performance.now() - s);
  }
  console.log = log;

  const pages = await benchPageLatency(run.info.apiUrl, run.info.efsDir!, stats);

  const synthMs = progress.timings.find((t) => t.name === 'synthesize CDK app')?.ms ?? Number.NaN;
  const h = stats(http);
  const d = stats(direct);
  const result = {
    node: process.version,
    requests: REQUESTS,
    synthMs,
    startMs,
    firstResponseMs,
    coldStartMs,
    http: h,
    direct: d,
    overheadMedianMs: h.median - d.median,
    ratioMedian: h.median / d.median,
    pages,
  };
  const reports = path.join(PROJECT_ROOT, '.harness', 'reports');
  mkdirSync(reports, { recursive: true });
  writeFileSync(path.join(reports, 'bench.json'), `${JSON.stringify(result, null, 2)}\n`);
  const rows: [string, string][] = [
    ['synth (CDK app, esbuild bundling)', ms(synthMs)],
    ['start (synth + servers)', ms(startMs)],
    ['first response (process spawn + init)', ms(firstResponseMs)],
    ['cold start to first 200', ms(coldStartMs)],
    [`greeting via local HTTP API, median (${REQUESTS} sequential)`, ms(h.median)],
    ['greeting via local HTTP API, p95', ms(h.p95)],
    ['handler called directly, median', ms(d.median)],
    ['handler called directly, p95', ms(d.p95)],
    ['harness overhead per request (median)', ms(result.overheadMedianMs)],
    ['ratio HTTP / direct (median)', `${result.ratioMedian.toFixed(1)}×`],
    ...pages.sizes.flatMap(({ stored, median, p95 }): [string, string][] => [
      [`GET /messages page of ${pages.limit}, ${stored.toLocaleString('en')} stored, median`, ms(median)],
      [`GET /messages page of ${pages.limit}, ${stored.toLocaleString('en')} stored, p95`, ms(p95)],
    ]),
    ['page ratio 100k / 1k (median)', `${pages.ratioMedian.toFixed(2)}×`],
  ];
  process.stdout.write(`Local target benchmark (${process.version}, ${REQUESTS} requests)\n`);
  for (const [name, value] of rows) process.stdout.write(`  ${name.padEnd(58)} ${value.padStart(12)}\n`);
  process.stdout.write(`Goals: overhead < 1 ms at the median: ${result.overheadMedianMs < 1 ? 'met' : 'NOT met'}; cold start < 5 s: ${coldStartMs < 5000 ? 'met' : 'NOT met'}; page 100k/1k ≤ 2: ${pages.ratioMedian <= 2 ? 'met' : 'NOT met'}\n`);
} finally {
  await run.teardown();
}

// The development loop (issue: warm starts and `npm run dev`), measured after the target above is gone so
// that the two do not compete for the CPU. Its own section of bench.json.
{
  const loop = await benchDevLoop({ warmStarts: 5, edits: 7 });
  const reportFile = path.join(PROJECT_ROOT, '.harness', 'reports', 'bench.json');
  const report = JSON.parse(readFileSync(reportFile, 'utf8')) as Record<string, unknown>;
  const ratios = { warmToCold: loop.warmStartMedianMs / loop.coldStartMs, editToCold: loop.editToResponseMedianMs / loop.coldStartMs };
  writeFileSync(reportFile, `${JSON.stringify({ ...report, devLoop: { ...loop, ...ratios } }, null, 2)}\n`);
  const rows: [string, string][] = [
    ['cold start (empty assembly cache) to first 200', ms(loop.coldStartMs)],
    [`warm start (nothing changed) to first 200, median of ${loop.warmStartMs.length}`, ms(loop.warmStartMedianMs)],
    ['warm / cold', `${(ratios.warmToCold * 100).toFixed(0)} %`],
    [`npm run dev: handler edit to new response, median of ${loop.editToResponseMs.length}`, ms(loop.editToResponseMedianMs)],
    ['edit / cold', `${(ratios.editToCold * 100).toFixed(0)} %`],
  ];
  process.stdout.write('Development loop (npm run up as a process, on a scratch copy of the app)\n');
  for (const [name, value] of rows) process.stdout.write(`  ${name.padEnd(70)} ${value.padStart(12)}\n`);
  process.stdout.write(
    `Goals: warm start < 500 ms: ${loop.warmStartMedianMs < 500 ? 'met' : 'NOT met'}; edit to response < 1 s: ${loop.editToResponseMedianMs < 1000 ? 'met' : 'NOT met'}\n`,
  );
}

// The runtime modes (process, container), in interleaved rounds; container mode needs Docker and the Lambda image.
{
  const modes = await benchRuntimeModes({ rounds: 5, invocations: 200 });
  const reportFile = path.join(PROJECT_ROOT, '.harness', 'reports', 'bench.json');
  const report = JSON.parse(readFileSync(reportFile, 'utf8')) as Record<string, unknown>;
  writeFileSync(reportFile, `${JSON.stringify({ ...report, runtimeModes: modes }, null, 2)}\n`);
  if ('skipped' in modes) {
    process.stdout.write(`Runtime modes: container mode not measured: ${modes.skipped}\n`);
  } else {
    const rows: [string, string][] = [
      ['environment cold start to first result, process mode (median)', ms(modes.coldMs.process)],
      ['environment cold start to first result, container mode (median)', ms(modes.coldMs.container)],
      ['cold start container / process', `${modes.coldRatio.toFixed(1)}×`],
      [`warm invoke, process mode (median of ${modes.invocations}, median of rounds)`, ms(modes.warmMs.process)],
      [`warm invoke, container mode (median of ${modes.invocations}, median of rounds)`, ms(modes.warmMs.container)],
      ['warm invoke container / process', `${modes.warmRatio.toFixed(1)}×`],
    ];
    process.stdout.write(`Runtime modes (${modes.rounds} interleaved rounds, ${modes.image}, echo handler)\n`);
    for (const [name, value] of rows) process.stdout.write(`  ${name.padEnd(70)} ${value.padStart(12)}\n`);
  }
}
