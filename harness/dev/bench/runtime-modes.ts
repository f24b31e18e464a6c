import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DockerEngine } from '../../core/docker-engine.ts';
import type { FunctionModel } from '../../model/assembly.ts';
import { containerSandbox } from '../../targets/local/container-sandbox.ts';
import { FunctionRuntime, type SandboxFactory } from '../../targets/local/runtime.ts';
import { lambdaImage } from '../../targets/local/runtime-mode.ts';
import { LAMBDA_STANDIN_IMAGE } from '../images.ts';

/**
 * The local target's two runtime modes side by side, in interleaved rounds on one machine: the cold start of an
 * execution environment (a new environment to its first result) and the warm invoke latency (sequential
 * invocations of a warm one), with container / process ratios. The handler echoes its event, so the figures are
 * the runtime's own cost. Container mode needs an engine and the Lambda image (HARNESS_LAMBDA_IMAGE, or the
 * stand-in from `npm run images`); without them the section says why it did not run.
 */

export interface RuntimeModesResult {
  readonly image: string;
  readonly rounds: number;
  readonly invocations: number;
  readonly coldMs: { readonly process: number; readonly container: number };
  readonly warmMs: { readonly process: number; readonly container: number };
  readonly coldRatio: number;
  readonly warmRatio: number;
}

const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

export async function benchRuntimeModes(options: { rounds: number; invocations: number }): Promise<RuntimeModesResult | { skipped: string }> {
  const engine = await DockerEngine.connect(process.env);
  if (!engine) return { skipped: 'no Docker engine answers' };
  const image = process.env.HARNESS_LAMBDA_IMAGE?.trim() ? lambdaImage(process.env) : LAMBDA_STANDIN_IMAGE;
  if (!(await engine.hasImage(image))) return { skipped: `the Lambda image ${image} is not on the engine (npm run images builds the stand-in)` };
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-modes-'));
  chmodSync(dir, 0o755);
  writeFileSync(path.join(dir, 'echo.mjs'), 'export const handler = async (event) => event;\n');
  const fn: FunctionModel = {
    logicalId: 'Echo',
    functionName: 'bench-echo',
    handler: 'echo.handler',
    runtime: 'nodejs24.x',
    timeoutSeconds: 30,
    memoryMb: 256,
    ephemeralStorageMb: 512,
    environment: {},
    assetDir: dir,
  };
  const sandboxes: Record<'process' | 'container', SandboxFactory | undefined> = {
    process: undefined,
    container: containerSandbox({ engine, image, runId: `bench-${process.pid}`, network: 'host', efsDir: () => undefined }),
  };
  const cold = { process: [] as number[], container: [] as number[] };
  const warm = { process: [] as number[], container: [] as number[] };
  try {
    for (let round = 0; round < options.rounds; round++) {
      for (const mode of ['process', 'container'] as const) {
        const factory = sandboxes[mode];
        const runtime = new FunctionRuntime({ fn, environment: {}, region: 'us-east-1', accountId: '000000000000', log: () => {}, ...(factory ? { sandbox: factory } : {}) });
        try {
          const started = performance.now();
          const first = await runtime.invoke({ round });
          cold[mode].push(performance.now() - started);
          if (!first.ok) throw new Error(`${mode} mode: ${first.errorType}: ${first.errorMessage}`);
          const samples: number[] = [];
          for (let i = 0; i < options.invocations; i++) {
            const s = performance.now();
            await runtime.invoke({ i });
            samples.push(performance.now() - s);
          }
          warm[mode].push(median(samples));
        } finally {
          await runtime.close();
        }
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const coldMs = { process: median(cold.process), container: median(cold.container) };
  const warmMs = { process: median(warm.process), container: median(warm.container) };
  return { image, rounds: options.rounds, invocations: options.invocations, coldMs, warmMs, coldRatio: coldMs.container / coldMs.process, warmRatio: warmMs.container / warmMs.process };
}
