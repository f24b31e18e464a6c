import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type BuildContext, context, stop } from 'esbuild';
import type { FunctionModel } from '../../model/assembly.ts';
import { splitHandlerString } from '../../targets/local/handler-string.ts';

/**
 * Rebuilds a function's bundle on each handler edit with one esbuild context per function (incremental: only
 * what changed is parsed again), with the options CDK's NodejsFunction gives esbuild for this stack, so the
 * rebuilt bundle behaves like the one `cdk synth` makes.
 */

export interface HandlerBuild {
  /** The folder the bundle is written to (what the function runs, or LocalStack mounts). */
  readonly outdir: string;
  /** The handler source the bundle starts from, e.g. `<project>/handler/index.ts`. */
  readonly entry: string;
  /** Builds; rejects with esbuild's messages and writes nothing when the code does not compile. */
  rebuild(): Promise<void>;
  dispose(): Promise<void>;
}

/**
 * The source the bundle was built from: CDK's source map lists the bundle's modules, and the entry is the one
 * no other module imports. Read from the bundle rather than repeated from infra/.
 */
export function bundleEntry(fn: FunctionModel): string {
  const { moduleName } = splitHandlerString(fn.handler);
  const mapFile = ['.mjs', '.js', '.cjs'].map((ext) => path.join(fn.assetDir, `${moduleName}${ext}.map`)).find(existsSync);
  if (!mapFile) throw new Error(`${fn.functionName}: no source map next to its bundle in ${fn.assetDir}; watch mode needs one (bundling.sourceMap: true in infra).`);
  const map = JSON.parse(readFileSync(mapFile, 'utf8')) as { sources: string[]; sourcesContent?: (string | null)[] };
  const sources = map.sources.map((s) => path.resolve(path.dirname(mapFile), s));
  const own = sources.map((file, i) => ({ file, content: map.sourcesContent?.[i] ?? '' })).filter((s) => !s.file.includes(`${path.sep}node_modules${path.sep}`));
  const imported = new Set<string>();
  for (const { file, content } of own) {
    for (const match of content.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)['"](\.{1,2}\/[^'"]+)['"]/g)) {
      imported.add(path.resolve(path.dirname(file), match[1]!));
    }
  }
  const roots = own.filter((s) => !imported.has(s.file)).map((s) => s.file);
  if (roots.length !== 1 || !existsSync(roots[0]!)) {
    throw new Error(`${fn.functionName}: cannot tell the entry of its bundle from ${mapFile} (candidates: ${roots.join(', ') || 'none'}).`);
  }
  return roots[0]!;
}

/**
 * `nodejs24.x` → `node24`: NodejsFunction's default esbuild target is the runtime's Node version
 * (aws-cdk-lib 2.276.0 aws-lambda-nodejs/lib/bundling.js, `toTarget`).
 */
export function esbuildTarget(runtime: string): string {
  const version = /^nodejs(\d+)\.x$/.exec(runtime)?.[1];
  if (!version) throw new Error(`Runtime "${runtime}" is not a Node.js runtime: watch mode rebuilds Node.js handlers only.`);
  return `node${version}`;
}

export async function createHandlerBuild(fn: FunctionModel, outdir: string): Promise<HandlerBuild> {
  const entry = bundleEntry(fn);
  const { moduleName } = splitHandlerString(fn.handler);
  // The esbuild flags NodejsFunction passes for this stack's bundling options (format ESM, source map, no
  // minify) and defaults (platform node, main fields module,main for ESM, the AWS SDK v3 left external on
  // Node 18+): aws-cdk-lib 2.276.0 aws-lambda-nodejs/lib/bundling.js.
  const ctx: BuildContext = await context({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: esbuildTarget(fn.runtime),
    mainFields: ['module', 'main'],
    external: ['@aws-sdk/*'],
    sourcemap: true,
    outfile: path.join(outdir, `${moduleName}.mjs`),
    logLevel: 'silent',
    // Written here, only after a successful build: esbuild removes its previous output when a rebuild fails,
    // and the previous code must keep serving (and LocalStack must not see a half-written folder).
    write: false,
  });
  return {
    outdir,
    entry,
    rebuild: async () => {
      let result: Awaited<ReturnType<typeof ctx.rebuild>>;
      try {
        result = await ctx.rebuild();
      } catch (error) {
        const errors = (error as { errors?: { text: string; location?: { file: string; line: number; column: number } | null }[] }).errors ?? [];
        const first = errors[0];
        const where = first?.location ? `${first.location.file}:${first.location.line}:${first.location.column}: ` : '';
        throw new Error(first ? `${where}${first.text}${errors.length > 1 ? ` (and ${errors.length - 1} more)` : ''}` : (error as Error).message);
      }
      mkdirSync(outdir, { recursive: true });
      // Each file appears whole: written aside, then renamed over the old one.
      for (const file of result.outputFiles ?? []) {
        const aside = `${file.path}.${process.pid}.tmp`;
        writeFileSync(aside, file.contents);
        renameSync(aside, file.path);
      }
    },
    dispose: () => ctx.dispose(),
  };
}

/** Ends esbuild's service process (started by the first context), waiting until it has exited. */
export async function stopEsbuild(): Promise<void> {
  await stop();
}
