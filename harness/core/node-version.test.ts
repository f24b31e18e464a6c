import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { transformSync } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import type { NodeCheck } from '../doctor/checks.ts';
import { PROJECT_ROOT } from './run.ts';

// The check's types are declared with the doctor (a type-only import); the file itself is loaded as is.
const check = createRequire(import.meta.url)('./node-version.cjs') as NodeCheck;

const SCRIPT = path.join(PROJECT_ROOT, 'harness', 'core', 'node-version.cjs');
const pkg = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as { engines: { node: string }; scripts: Record<string, string> };
const REQ = { minimum: '22.22', recommended: '24' };
const TOO_OLD_ON_20 =
  'This project needs Node >= 22.22 (package.json "engines"), but this is Node v20.20.2.\n' +
  'Switch to Node 24 (.nvmrc) in this folder: `nvm install`, `fnm use --install-if-missing` or `volta install node@24`,\n' +
  'then run your command again; or, with only npm, run each command once through Node 24 from the npm registry:\n' +
  '  npx -y node@24 "$(command -v npm)" ci\n' +
  '  npx -y node@24 "$(command -v npm)" test';

describe('the Node version check (logic)', () => {
  it('should refuse Node 20 with the version needed and both ways to get it', () => {
    expect(check.checkNode('v20.20.2', REQ)).toEqual({ ok: false, current: 'v20.20.2', minimum: '22.22', recommended: '24', message: TOO_OLD_ON_20 });
  });

  it('should draw the line exactly at the engines minimum', () => {
    expect(check.atLeast('v22.21.9', '22.22')).toBe(false);
    expect(check.atLeast('v22.22.0', '22.22')).toBe(true);
    expect(check.atLeast('22.22.1', '22.22')).toBe(true);
    expect(check.atLeast('v23.0.0', '22.22')).toBe(true);
    expect(check.atLeast('v24.21.0', '22.22')).toBe(true);
    expect(check.atLeast('v18.20.8', '22.22')).toBe(false);
    expect(check.atLeast('v8.17.0', '22.22')).toBe(false);
    expect(check.checkNode('v24.21.0', REQ)).toEqual({ ok: true, current: 'v24.21.0', minimum: '22.22', recommended: '24', message: undefined });
  });

  it('should read the minimum from package.json "engines" and the recommended version from .nvmrc', () => {
    expect(check.requirements()).toEqual({
      minimum: pkg.engines.node.replace('>=', '').trim(),
      recommended: readFileSync(path.join(PROJECT_ROOT, '.nvmrc'), 'utf8').trim(),
    });
  });

  it('should say so when engines takes a form it cannot read, rather than let every Node through', () => {
    expect(() => check.minimumOf('^22.22.0 || >=24')).toThrow(
      'package.json engines.node is "^22.22.0 || >=24": harness/core/node-version.cjs understands only ">=X.Y[.Z]"',
    );
  });

  it('should be written in ES5, so that it parses on any old Node (nothing esbuild would have to lower)', () => {
    const source = readFileSync(SCRIPT, 'utf8');
    // Printed for ES5 and for the newest syntax, the code is the same only if it uses nothing newer than ES5;
    // `const`/`let` make the ES5 transform throw. Object shorthand is turned off on both sides (the printer adds it).
    const print = (target: string) => transformSync(source, { target, supported: { 'object-extensions': false } }).code;
    expect(print('es5')).toBe(print('esnext'));
  });

  it('should be the first command of every script that runs project code, and the preinstall script', () => {
    const first = 'node harness/core/node-version.cjs';
    expect(pkg.scripts.preinstall).toBe(first);
    for (const name of ['test', 'test:unit', 'scenarios', 'up', 'bench', 'sweep', 'doctor']) {
      expect(pkg.scripts[name], name).toMatch(/^node harness\/core\/node-version\.cjs && /);
    }
  });

  it('should make npm stop an install on an old Node (engine-strict in the project .npmrc)', () => {
    const npmrc = readFileSync(path.join(PROJECT_ROOT, '.npmrc'), 'utf8');
    expect(npmrc.split('\n')).toContain('engine-strict=true');
  });

  it('should pass silently on the Node running these tests', () => {
    const run = spawnSync(process.execPath, [SCRIPT], { encoding: 'utf8' });
    expect(run.status).toBe(0);
    expect(run.stdout + run.stderr).toBe('');
  });
});

/** A Node older than the minimum, if this machine has one (Debian's and this CI machine's is 20). */
function findOldNode(): { path?: string; looked: string[] } {
  const candidates = [process.env.HARNESS_OLD_NODE, '/usr/bin/node', '/usr/local/bin/node'].filter((p): p is string => Boolean(p));
  for (const candidate of candidates) {
    if (!existsSync(candidate)) continue;
    const version = spawnSync(candidate, ['--version'], { encoding: 'utf8' }).stdout?.trim();
    if (version && !check.atLeast(version, check.requirements().minimum)) return { path: candidate, looked: candidates };
  }
  return { looked: candidates };
}
const oldNode = findOldNode();
const oldNodeReason = `no Node older than ${check.requirements().minimum} on this machine (looked at ${oldNode.looked.join(', ')}; set HARNESS_OLD_NODE to one)`;

describe.skipIf(!oldNode.path)(`on an old Node (${oldNode.path ?? oldNodeReason})`, () => {
  const oldNodePath = oldNode.path!;
  const oldVersion = oldNode.path ? spawnSync(oldNodePath, ['--version'], { encoding: 'utf8' }).stdout.trim() : '';
  const expected = check.checkNode(oldVersion, check.requirements()).message!;

  // A copy of the project's front door without its dependencies: package.json (scripts and engines), .npmrc,
  // .nvmrc and the check. Nothing can be downloaded: the installs run --offline, and an install that got past
  // the check would find no dependency to install.
  const dir = mkdtempSync(path.join(os.tmpdir(), 'node-version-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(path.join(dir, 'harness', 'core'), { recursive: true });
  for (const file of ['.npmrc', '.nvmrc', 'harness/core/node-version.cjs']) copyFileSync(path.join(PROJECT_ROOT, file), path.join(dir, file));
  const root = { name: 'front-door', version: '0.0.0', engines: pkg.engines };
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ ...root, private: true, scripts: pkg.scripts }));
  writeFileSync(path.join(dir, 'package-lock.json'), JSON.stringify({ ...root, lockfileVersion: 3, requires: true, packages: { '': root } }));

  // npm exports npm_config_* (its local prefix among them) to the scripts it runs, vitest's included: a child npm
  // must not inherit them, or it would work on this project instead of the copy.
  const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name)));
  env.PATH = `${path.dirname(oldNodePath)}${path.delimiter}${env.PATH ?? ''}`;
  const npm = (...args: string[]) => spawnSync('npm', [...args, '--offline', '--no-audit', '--no-fund'], { cwd: dir, env, encoding: 'utf8', timeout: 60_000 });

  it('should print the message and exit 1', () => {
    const run = spawnSync(oldNodePath, [SCRIPT], { encoding: 'utf8' });
    expect(run.status).toBe(1);
    expect(run.stderr).toBe(`${expected}\n`);
    expect(expected).toContain(`but this is Node ${oldVersion}.`);
  });

  it.each(['test', 'scenarios', 'up', 'doctor'])('should stop `npm run %s` at its first line with the message', (script) => {
    const run = npm('run', script);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(expected);
  });

  it('should stop `npm ci` before it installs anything, naming the version needed (engine-strict)', () => {
    const run = npm('ci', '--dry-run');
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('npm error code EBADENGINE');
    expect(run.stderr).toContain(`npm error notsup Required: {"node":"${pkg.engines.node}"}`);
    expect(existsSync(path.join(dir, 'node_modules'))).toBe(false);
  });

  it('should still fail the install with the message when the engine check is turned off (preinstall)', () => {
    const run = npm('install', '--engine-strict=false', '--no-package-lock');
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('npm warn EBADENGINE');
    expect(run.stderr).toContain(expected);
  });
});
