import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FunctionModel } from '../../model/assembly.ts';
import { bundleEntry, createHandlerBuild, esbuildTarget, stopEsbuild } from './handler-build.ts';

let root: string;
beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'harness-build-test-'));
});
afterEach(async () => {
  await stopEsbuild();
  rmSync(root, { recursive: true, force: true });
});

const fn = (assetDir: string): FunctionModel => ({
  logicalId: 'Fn',
  functionName: 'fn',
  handler: 'index.handler',
  runtime: 'nodejs24.x',
  timeoutSeconds: 3,
  memoryMb: 128, ephemeralStorageMb: 512,
  environment: {},
  assetDir,
});

/** A handler folder and a bundle folder whose source map lists the sources the way esbuild writes them (relative). */
function project(files: Record<string, string>): { asset: string; handlerDir: string } {
  const handlerDir = path.join(root, 'handler');
  const asset = path.join(root, 'cdk.out', 'asset.x');
  mkdirSync(handlerDir, { recursive: true });
  mkdirSync(asset, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(handlerDir, name), text);
  const names = Object.keys(files);
  writeFileSync(
    path.join(asset, 'index.mjs.map'),
    JSON.stringify({ version: 3, sources: names.map((n) => path.relative(asset, path.join(handlerDir, n))), sourcesContent: names.map((n) => files[n]) }),
  );
  return { asset, handlerDir };
}

describe('bundleEntry', () => {
  it('should find the module that no other module of the bundle imports, whatever the order of the sources', () => {
    const { asset, handlerDir } = project({
      'util.ts': 'export const x = 1;',
      'index.ts': "import { x } from './util.ts';\nexport const handler = async () => x;",
    });
    expect(bundleEntry(fn(asset))).toBe(path.join(handlerDir, 'index.ts'));
  });

  it('should say so when the bundle has no source map', () => {
    mkdirSync(path.join(root, 'empty'));
    expect(() => bundleEntry(fn(path.join(root, 'empty')))).toThrow(/no source map next to its bundle .*sourceMap: true/);
  });
});

describe('esbuildTarget', () => {
  it('should be the Node version of the runtime, and refuse other runtimes', () => {
    expect(esbuildTarget('nodejs24.x')).toBe('node24');
    expect(() => esbuildTarget('python3.12')).toThrow('Runtime "python3.12" is not a Node.js runtime');
  });
});

describe('createHandlerBuild', () => {
  it('should write the bundle and its source map on success, and on a syntax error reject with file:line and write nothing', async () => {
    const { asset, handlerDir } = project({ 'index.ts': "export const handler = async () => 'one';" });
    const out = path.join(root, 'out');
    const build = await createHandlerBuild(fn(asset), out);
    try {
      await build.rebuild();
      expect(readFileSync(path.join(out, 'index.mjs'), 'utf8')).toContain('"one"');
      const map = JSON.parse(readFileSync(path.join(out, 'index.mjs.map'), 'utf8')) as { sources: string[] };
      // Debuggers find handler/*.ts through these paths.
      expect(map.sources.map((s) => path.resolve(out, s))).toEqual([path.join(handlerDir, 'index.ts')]);

      writeFileSync(path.join(handlerDir, 'index.ts'), "export const handler = async () => 'two' +;");
      await expect(build.rebuild()).rejects.toThrow(/handler\/index\.ts:1:\d+: /);
      expect(readFileSync(path.join(out, 'index.mjs'), 'utf8')).toContain('"one"');

      writeFileSync(path.join(handlerDir, 'index.ts'), "export const handler = async () => 'three';");
      await build.rebuild();
      expect(readFileSync(path.join(out, 'index.mjs'), 'utf8')).toContain('"three"');
      expect(existsSync(path.join(out, 'index.mjs.map'))).toBe(true);
    } finally {
      await build.dispose();
    }
  });
});
