import { createHash, randomBytes } from 'node:crypto';
import { cpSync, existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync } from 'node:fs';
import path from 'node:path';
import type { SynthOptions } from './assembly.ts';
import { PROJECT_ROOT } from '../core/run.ts';

/**
 * Warm starts: synthesis (the CDK app and esbuild) is almost all of a local cold start, and its output is a
 * pure function of a few inputs. The cloud assembly is kept under a content hash of those inputs; a start
 * whose inputs hash the same copies it instead of synthesizing. Any changed input gives another hash, so a
 * stale assembly is never used.
 */

/** Bumped when the cached layout or the set of inputs changes, so old entries are never read. */
const CACHE_FORMAT = 1;
/** Entries kept; older ones are pruned when a new one is stored. */
export const ENTRIES_KEPT = 10;

/** Files and folders of the project that determine the assembly. Test files and snapshots do not. */
const INPUT_FOLDERS = ['infra', 'handler'] as const;
const INPUT_FILES = ['package.json', 'package-lock.json', 'tsconfig.json', 'cdk.json'] as const;
const IGNORED = (name: string): boolean => name.endsWith('.test.ts') || name === '__snapshots__' || name.startsWith('.');

export interface CacheKeyInput {
  /** The project whose infra/ and handler/ are synthesized. */
  readonly projectRoot: string;
  /** Every option that reaches the app (stack name, inspector); the output folder is not one of them. */
  readonly options: Readonly<Record<string, unknown>>;
  /** The environment of the synthesizing process: aws-cdk-lib's App reads its `CDK_*` variables (context, account, region). */
  readonly env: NodeJS.ProcessEnv;
}

/** The content hash of everything that determines the synthesized assembly. */
export function assemblyKey(input: CacheKeyInput): string {
  const hash = createHash('sha256');
  const add = (label: string, value: string | Buffer) => hash.update(`${label}\0${value.length}\0`).update(value);
  add('format', String(CACHE_FORMAT));
  // The bundle's source map names the handler sources relative to the output folder: a copy of the project
  // elsewhere (the same bytes) must not get an assembly whose map points at another copy.
  add('project', path.resolve(input.projectRoot));
  add('options', JSON.stringify(Object.entries(input.options).sort(([a], [b]) => a.localeCompare(b))));
  const cdkEnv = Object.entries(input.env)
    .filter(([name, value]) => name.startsWith('CDK_') && name !== 'CDK_OUTDIR' && value !== undefined)
    .sort(([a], [b]) => a.localeCompare(b));
  add('env', JSON.stringify(cdkEnv));
  for (const file of INPUT_FILES) {
    const full = path.join(input.projectRoot, file);
    add(`file ${file}`, existsSync(full) ? readFileSync(full) : '(absent)');
  }
  for (const folder of INPUT_FOLDERS) {
    for (const file of listFiles(path.join(input.projectRoot, folder))) {
      add(`file ${path.relative(input.projectRoot, file)}`, readFileSync(file));
    }
  }
  return hash.digest('hex');
}

function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => !IGNORED(entry.name))
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((entry) => {
      const full = path.join(dir, entry.name);
      return entry.isDirectory() ? listFiles(full) : entry.isFile() ? [full] : [];
    });
}

/** The folder `npm run up`, `npm test` and `npm run scenarios` keep assemblies in, unless HARNESS_CACHE_DIR says otherwise. */
export const DEFAULT_CACHE_DIR = path.join(PROJECT_ROOT, '.harness', 'cache', 'assemblies');

/**
 * Synthesis settings from the harness's environment: the cache folder (HARNESS_SYNTH_CACHE=0 turns the cache
 * off) and the project to synthesize (HARNESS_PROJECT_ROOT, for a scratch copy in tests and the benchmark).
 */
export function synthSettings(env: NodeJS.ProcessEnv): Pick<SynthOptions, 'cacheDir' | 'projectRoot'> {
  const off = ['0', 'false', 'off'].includes(env.HARNESS_SYNTH_CACHE?.trim().toLowerCase() ?? '');
  const projectRoot = env.HARNESS_PROJECT_ROOT?.trim();
  return {
    ...(off ? {} : { cacheDir: path.resolve(PROJECT_ROOT, env.HARNESS_CACHE_DIR?.trim() || DEFAULT_CACHE_DIR) }),
    ...(projectRoot ? { projectRoot: path.resolve(projectRoot) } : {}),
  };
}

/**
 * Copies the cached assembly for `key` into `outdir`. Returns false when there is none. The entry's time is
 * touched, so pruning removes the least recently used ones.
 */
export function restoreAssembly(cacheDir: string, key: string, outdir: string): boolean {
  const entry = path.join(cacheDir, key);
  if (!existsSync(path.join(entry, 'manifest.json'))) return false;
  try {
    rmSync(outdir, { recursive: true, force: true });
    cpSync(entry, outdir, { recursive: true });
    const now = new Date();
    utimesSync(entry, now, now);
    return true;
  } catch {
    // Pruned by a parallel run while being copied: synthesize instead.
    rmSync(outdir, { recursive: true, force: true });
    return false;
  }
}

/**
 * Stores a synthesized assembly under `key`: copied to a temporary name and renamed, so that a parallel run
 * (npm test runs several) never reads a half-written entry. Keeps the newest ENTRIES_KEPT entries.
 */
export function storeAssembly(cacheDir: string, key: string, outdir: string): void {
  const entry = path.join(cacheDir, key);
  if (existsSync(entry)) return;
  const temporary = path.join(cacheDir, `.tmp-${key.slice(0, 12)}-${randomBytes(4).toString('hex')}`);
  cpSync(outdir, temporary, { recursive: true });
  try {
    renameSync(temporary, entry);
  } catch {
    // Another run stored the same key first: its entry is as good as ours.
    rmSync(temporary, { recursive: true, force: true });
  }
  pruneCache(cacheDir);
}

function pruneCache(cacheDir: string): void {
  // A copy that a killed run left half-done is removed once it is clearly abandoned.
  // Parallel runs prune too: an entry may vanish between the listing and its stat.
  const mtime = (name: string): number => statSync(path.join(cacheDir, name), { throwIfNoEntry: false })?.mtimeMs ?? 0;
  for (const name of readdirSync(cacheDir).filter((n) => n.startsWith('.tmp-'))) {
    if (Date.now() - mtime(name) > 10 * 60_000) rmSync(path.join(cacheDir, name), { recursive: true, force: true });
  }
  const entries = readdirSync(cacheDir)
    .filter((name) => !name.startsWith('.'))
    .map((name) => ({ name, time: mtime(name) }))
    .sort((a, b) => b.time - a.time);
  for (const old of entries.slice(ENTRIES_KEPT)) rmSync(path.join(cacheDir, old.name), { recursive: true, force: true });
}
