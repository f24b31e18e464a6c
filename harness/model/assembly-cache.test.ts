import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assemblyKey, synthSettings } from './assembly-cache.ts';
import { synthesize } from './assembly.ts';
import { createScratchProject, type ScratchProject } from '../dev/watch/scratch-project.ts';

let scratch: ScratchProject;
beforeAll(() => {
  scratch = createScratchProject();
});
afterAll(() => scratch.remove());

const keyOf = (overrides: { options?: Record<string, unknown>; env?: NodeJS.ProcessEnv } = {}) =>
  assemblyKey({ projectRoot: scratch.root, options: overrides.options ?? { stackName: 'S', inspector: false }, env: overrides.env ?? {} });

function withEdit(file: string, change: (text: string) => string, run: () => void): void {
  const full = path.join(scratch.root, file);
  const before = readFileSync(full, 'utf8');
  writeFileSync(full, change(before));
  try {
    run();
  } finally {
    writeFileSync(full, before);
  }
}

describe('assemblyKey', () => {
  it('should be the same for the same inputs', () => {
    expect(keyOf()).toBe(keyOf());
  });

  it.each(['handler/index.ts', 'handler/messages.ts', 'infra/stack.ts', 'package-lock.json', 'tsconfig.json', 'cdk.json'])(
    'should change when %s changes',
    (file) => {
      const before = keyOf();
      withEdit(file, (text) => `${text}\n`, () => expect(keyOf()).not.toBe(before));
      expect(keyOf()).toBe(before);
    },
  );

  it('should not change when a test file or a snapshot changes', () => {
    const before = keyOf();
    withEdit('handler/index.test.ts', (text) => `${text}\n// edited`, () => expect(keyOf()).toBe(before));
  });

  // Source: aws-cdk-lib 2.276.0 (node_modules) core/lib/app.js: App reads CDK_CONTEXT_JSON into its context and
  // CDK_OUTDIR only when no outdir is passed (synthesize always passes one); cx-api/lib/cxapi.js names them.
  it('should change with the app options and with the CDK_* environment the app reads, not with other variables', () => {
    const before = keyOf();
    expect(keyOf({ options: { stackName: 'Other', inspector: false } })).not.toBe(before);
    expect(keyOf({ options: { stackName: 'S', inspector: true } })).not.toBe(before);
    expect(keyOf({ env: { CDK_CONTEXT_JSON: '{"x":1}' } })).not.toBe(before);
    expect(keyOf({ env: { HOME: '/elsewhere', CDK_OUTDIR: '/x' } })).toBe(before);
  });

  it('should differ between two copies of the same project (their source maps point at their own files)', () => {
    const other = createScratchProject();
    try {
      expect(assemblyKey({ projectRoot: other.root, options: {}, env: {} })).not.toBe(assemblyKey({ projectRoot: scratch.root, options: {}, env: {} }));
    } finally {
      other.remove();
    }
  });
});

describe('synthSettings', () => {
  it('should use the cache by default and turn it off with HARNESS_SYNTH_CACHE=0', () => {
    expect(synthSettings({}).cacheDir).toMatch(/\.harness[/\\]cache[/\\]assemblies$/);
    expect(synthSettings({ HARNESS_SYNTH_CACHE: '0' })).toEqual({});
    expect(synthSettings({ HARNESS_CACHE_DIR: '/tmp/c', HARNESS_PROJECT_ROOT: '/tmp/p' })).toEqual({ cacheDir: '/tmp/c', projectRoot: '/tmp/p' });
  });
});

describe('synthesize with the cache', () => {
  it(
    'should reuse the assembly when nothing changed and synthesize again when an input changed',
    async () => {
      const cacheDir = path.join(scratch.root, '.cache');
      const out = (name: string) => path.join(scratch.root, '.out', name);
      const options = { stackName: 'CacheTest', projectRoot: scratch.root, cacheDir };

      const cold = await synthesize({ ...options, outdir: out('cold') });
      expect(cold.cached).toBeUndefined();
      const warm = await synthesize({ ...options, outdir: out('warm') });
      expect(warm.cached).toBe(true);
      expect(warm.hash).toBe(cold.hash);
      expect(warm.assemblyDir).toBe(out('warm'));
      expect(readFileSync(path.join(warm.apiFunction.assetDir, 'index.mjs'), 'utf8')).toBe(readFileSync(path.join(cold.apiFunction.assetDir, 'index.mjs'), 'utf8'));

      const handler = path.join(scratch.root, 'handler', 'index.ts');
      const original = readFileSync(handler, 'utf8');
      writeFileSync(handler, original.replace("'こんにちは!はじめてのVPC Lambda!!'", "'changed by the cache test'"));
      try {
        const changed = await synthesize({ ...options, outdir: out('changed') });
        expect(changed.cached).toBeUndefined();
        expect(changed.hash).not.toBe(cold.hash);
        expect(readFileSync(path.join(changed.apiFunction.assetDir, 'index.mjs'), 'utf8')).toContain('changed by the cache test');
      } finally {
        writeFileSync(handler, original);
      }
      // Back to the first inputs: the first entry is still there.
      expect((await synthesize({ ...options, outdir: out('again') })).cached).toBe(true);
    },
    300_000,
  );
});
