import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DockerEngine } from '../core/docker-engine.ts';
import { PROJECT_ROOT } from '../core/run.ts';
import { buildRuntimeClient, RUNTIME_CLIENT_FILES } from './runtime-client.ts';

/**
 * `npm run images`: the images the Docker tier needs, built from files on this machine only (no registry is
 * reached, and none is needed on an air-gapped runner): a root file system holding the Node binary that runs
 * the harness, its shared libraries (from `ldd`) and a static busybox for a shell, imported with `docker import`.
 * Each image carries a label with the hash of its inputs and is rebuilt only when they change.
 */

export const IMAGE_PREFIX = 'harness-local';
/** LocalStack's container contract served by the project's source-cited fake (harness/test-support/localstack-standin.ts). */
export const STANDIN_IMAGE = `${IMAGE_PREFIX}/localstack-standin:1`;
const INPUTS_LABEL = 'dev.harness.image-inputs';
/** Bumped when the way an image is built changes. */
const RECIPE = '2';

/** A static busybox: Debian's busybox-static puts it here. */
const BUSYBOX_CANDIDATES = ['/bin/busybox', '/usr/bin/busybox'];
const APPLETS = ['sh', 'test', 'chmod', 'chown', 'sleep', 'cat', 'ls', 'mkdir', 'rm', 'id', 'env', 'stat', 'touch', 'echo', 'true', 'false'];
/**
 * GNU tools that LocalStack's Debian-based image has and the harness runs in it (volume-view.ts: `find -printf`,
 * `base64 -w 0`; teardown: `find -delete`), copied from this machine with their libraries: busybox lacks -printf.
 */
const HOST_TOOLS = ['/usr/bin/find', '/usr/bin/base64'];
/** The stand-in's code, copied into the image (Node runs the .ts files as they are). */
const STANDIN_FILES = [
  'harness/test-support/localstack-standin.ts',
  'harness/test-support/fake-localstack.ts',
  'harness/test-support/localstack-fixtures.ts',
  'harness/core/docker-engine.ts',
];

/**
 * The stand-in for `public.ecr.aws/lambda/nodejs:24` where no registry is reachable: Node 24 at /var/lang/bin,
 * the real runtime client (aws-lambda-ric, built on this machine) at /var/runtime, and the base image's
 * entrypoint contract (below). Container mode uses it when HARNESS_LAMBDA_IMAGE names it.
 */
export const LAMBDA_STANDIN_IMAGE = `${IMAGE_PREFIX}/lambda-nodejs:24`;

/**
 * `/lambda-entrypoint.sh` of the Lambda base images (aws/aws-lambda-base-images): the handler is the one
 * argument; with AWS_LAMBDA_RUNTIME_API set it execs the runtime's bootstrap, without it the image would start
 * its Runtime Interface Emulator, which the stand-in does not have.
 */
const LAMBDA_ENTRYPOINT = `#!/bin/sh
if [ $# -ne 1 ]; then
  echo "entrypoint requires the handler name to be the first argument" 1>&2
  exit 142
fi
export _HANDLER="$1"
if [ -z "\${AWS_LAMBDA_RUNTIME_API}" ]; then
  echo "harness stand-in: AWS_LAMBDA_RUNTIME_API is not set and this image has no Runtime Interface Emulator" 1>&2
  exit 1
fi
exec /var/runtime/bootstrap
`;

/**
 * `/var/runtime/bootstrap` of the nodejs images as the harness knows it: NODE_PATH, then Node with the runtime's
 * flags (heap sized from the memory setting: a tenth for the young generation, the rest for the old) running the
 * client. Written from the images' published layout, not copied from the image (no registry here); the
 * differential test compares what a handler sees here with process mode, which uses the same flags
 * (lambda-environment.ts nodeFlags).
 */
const LAMBDA_BOOTSTRAP = `#!/bin/sh
if [ -z "$NODE_PATH" ]; then
  export NODE_PATH="/opt/nodejs/node24/node_modules:/opt/nodejs/node_modules:/var/runtime/node_modules:/var/runtime:/var/task"
fi
MEMORY_ARGS=""
if [ -n "$AWS_LAMBDA_FUNCTION_MEMORY_SIZE" ]; then
  new_space=$((AWS_LAMBDA_FUNCTION_MEMORY_SIZE / 10))
  semi_space=$((new_space / 2))
  old_space=$((AWS_LAMBDA_FUNCTION_MEMORY_SIZE - new_space))
  MEMORY_ARGS="--max-semi-space-size=$semi_space --max-old-space-size=$old_space"
fi
exec /var/lang/bin/node --expose-gc --max-http-header-size 81920 $MEMORY_ARGS /var/runtime/index.mjs
`;

export const nodeImage = (major = process.versions.node.split('.')[0]) => `${IMAGE_PREFIX}/node:${major}`;

export interface BuiltImage {
  readonly image: string;
  readonly built: boolean;
}

function findBusybox(): string {
  const found = BUSYBOX_CANDIDATES.find((p) => existsSync(p));
  if (!found) throw new Error(`No busybox at ${BUSYBOX_CANDIDATES.join(' or ')}: install a static one (Debian: apt-get install busybox-static).`);
  // ldd exits 1 with "not a dynamic executable" for a static binary.
  const result = spawnSync('ldd', [found], { encoding: 'utf8' });
  const kind = `${result.stdout}${result.stderr}`.trim();
  if (!/not a dynamic executable|statically linked/.test(kind)) throw new Error(`${found} is not static (ldd: ${kind}): install busybox-static.`);
  return found;
}

/** ldd's answer when the file is static: exit 1 with "not a dynamic executable". */
function sharedLibraries(binary: string): string[] {
  let out: string;
  try {
    out = execFileSync('ldd', [binary], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch {
    return [];
  }
  return [...out.matchAll(/(?:=>\s*)?(\/\S+)\s+\(0x/g)].map((m) => m[1]!);
}

function hashFiles(files: readonly string[], extra: string): string {
  const hash = createHash('sha256').update(RECIPE).update(extra);
  for (const file of files) hash.update(file).update(readFileSync(file));
  return hash.digest('hex').slice(0, 32);
}

/** A root file system: Node, its libraries, busybox and its applets, the Lambda sandbox user, /tmp. */
function writeRootFs(root: string, busybox: string, extraFiles: readonly string[], extra?: (root: string) => void): void {
  const put = (source: string, target: string, mode?: number) => {
    mkdirSync(path.join(root, path.dirname(target)), { recursive: true });
    copyFileSync(realpathSync(source), path.join(root, target));
    if (mode !== undefined) chmodSync(path.join(root, target), mode);
  };
  put(process.execPath, '/usr/local/bin/node', 0o755);
  for (const lib of sharedLibraries(process.execPath)) put(lib, lib);
  put(busybox, '/bin/busybox', 0o755);
  for (const applet of APPLETS) symlinkSync('busybox', path.join(root, 'bin', applet));
  for (const tool of HOST_TOOLS) {
    put(tool, `/bin/${path.basename(tool)}`, 0o755);
    for (const lib of sharedLibraries(tool)) put(lib, lib);
  }
  mkdirSync(path.join(root, 'etc'), { recursive: true });
  // sbx_user1051 993:990 is the user LocalStack's functions run as (localstack/lambda-runtime-init
  // cmd/localstack/main.go; LocalStack config.py LAMBDA_INIT_USER); 1001 is the access point's user in infra/stack.ts.
  writeFileSync(path.join(root, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\nsbx_user1051:x:993:990::/tmp:/bin/sh\nfunction:x:1001:1001::/tmp:/bin/sh\n');
  writeFileSync(path.join(root, 'etc', 'group'), 'root:x:0:\nsbx_user1051:x:990:\nfunction:x:1001:\n');
  // /mnt/msg as the Lambda base images may have it (root, 0755): a new volume mounted over it copies its owner and
  // mode on first use (Docker's volume copy-up), which the EFS bridge must survive.
  for (const dir of ['tmp', 'mnt/msg', 'var/run', 'root']) mkdirSync(path.join(root, dir), { recursive: true });
  chmodSync(path.join(root, 'mnt', 'msg'), 0o755);
  chmodSync(path.join(root, 'tmp'), 0o1777);
  // At their paths in the project, so that their relative imports hold.
  for (const file of extraFiles) put(path.join(PROJECT_ROOT, file), path.join('/standin', file));
  extra?.(root);
}

/** The Lambda stand-in's own files: Node where the base image has it, the runtime client, entrypoint and bootstrap. */
function lambdaFiles(clientDir: string): (root: string) => void {
  return (root) => {
    const write = (target: string, text: string, mode: number) => {
      mkdirSync(path.join(root, path.dirname(target)), { recursive: true });
      writeFileSync(path.join(root, target), text, { mode });
    };
    mkdirSync(path.join(root, 'var', 'lang', 'bin'), { recursive: true });
    symlinkSync('/usr/local/bin/node', path.join(root, 'var', 'lang', 'bin', 'node'));
    for (const file of RUNTIME_CLIENT_FILES) {
      mkdirSync(path.join(root, 'var', 'runtime'), { recursive: true });
      copyFileSync(path.join(clientDir, file), path.join(root, 'var', 'runtime', file));
    }
    for (const lib of sharedLibraries(path.join(clientDir, 'rapid-client.node'))) {
      if (existsSync(path.join(root, lib))) continue;
      mkdirSync(path.join(root, path.dirname(lib)), { recursive: true });
      copyFileSync(realpathSync(lib), path.join(root, lib));
    }
    write('/lambda-entrypoint.sh', LAMBDA_ENTRYPOINT, 0o755);
    write('/var/runtime/bootstrap', LAMBDA_BOOTSTRAP, 0o755);
    mkdirSync(path.join(root, 'var', 'task'), { recursive: true });
    // No /mnt/msg: Lambda mounts the file system there; without the mount the path does not exist.
    rmSync(path.join(root, 'mnt'), { recursive: true, force: true });
  };
}

function dockerImport(root: string, image: string, changes: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const tar = spawn('tar', ['-C', root, '--numeric-owner', '--owner=0', '--group=0', '-c', '.'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const importer = spawn('docker', ['import', ...changes.flatMap((c) => ['--change', c]), '-', image], { stdio: ['pipe', 'ignore', 'pipe'] });
    let errors = '';
    tar.stderr.on('data', (c: Buffer) => (errors += c));
    importer.stderr.on('data', (c: Buffer) => (errors += c));
    tar.stdout.pipe(importer.stdin);
    importer.on('error', (error) => reject(new Error(`docker import ${image}: ${error.message} (is the docker CLI on PATH?)`)));
    importer.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`docker import ${image} exited with ${code}: ${errors.trim()}`))));
  });
}

async function buildImage(
  engine: DockerEngine,
  image: string,
  extraFiles: readonly string[],
  changes: readonly string[],
  log: (line: string) => void,
  extra?: { readonly files: readonly string[]; readonly recipe: string; readonly write: (root: string) => void },
): Promise<BuiltImage> {
  const busybox = findBusybox();
  const inputs = hashFiles(
    [process.execPath, busybox, ...HOST_TOOLS, ...extraFiles.map((f) => path.join(PROJECT_ROOT, f)), ...(extra?.files ?? [])],
    JSON.stringify(changes) + (extra?.recipe ?? ''),
  );
  if ((await engine.imageLabels(image))?.[INPUTS_LABEL] === inputs) {
    log(`${image}: up to date`);
    return { image, built: false };
  }
  const root = mkdtempSync(path.join(os.tmpdir(), 'harness-image-'));
  try {
    writeRootFs(root, busybox, extraFiles, extra?.write);
    await dockerImport(root, image, [...changes, `LABEL ${INPUTS_LABEL}=${inputs}`]);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  log(`${image}: built from Node ${process.version} (${process.execPath}) and ${busybox}`);
  return { image, built: true };
}

/** Builds every image of the Docker tier that is missing or out of date. */
export async function buildImages(env: NodeJS.ProcessEnv, log: (line: string) => void = (l) => process.stdout.write(`${l}\n`)): Promise<BuiltImage[]> {
  if (process.platform !== 'linux') throw new Error(`npm run images builds Linux images from this machine's Node binary: run it on Linux (this is ${process.platform}).`);
  const engine = await DockerEngine.connect(env);
  if (!engine) throw new Error('No Docker engine answers (DOCKER_HOST, /var/run/docker.sock): start one, then run npm run images again.');
  const pathEnv = 'ENV PATH=/usr/local/bin:/bin';
  return [
    await buildImage(engine, nodeImage(), [], [pathEnv, 'CMD ["/bin/sleep", "infinity"]'], log),
    await buildImage(engine, STANDIN_IMAGE, STANDIN_FILES, [pathEnv, `ENV STANDIN_IMAGE=${STANDIN_IMAGE}`, 'ENTRYPOINT ["/usr/local/bin/node", "/standin/harness/test-support/localstack-standin.ts"]'], log),
    await buildLambdaImage(engine, log),
  ];
}

/** The Lambda stand-in (see LAMBDA_STANDIN_IMAGE); builds the runtime client first when it is not built yet. */
export async function buildLambdaImage(engine: DockerEngine, log: (line: string) => void): Promise<BuiltImage> {
  const clientDir = await buildRuntimeClient(log);
  // The base image's settings (its Dockerfile's ENV, WORKDIR and ENTRYPOINT).
  const changes = [
    'ENV LANG=en_US.UTF-8',
    'ENV TZ=:/etc/localtime',
    'ENV PATH=/var/lang/bin:/usr/local/bin:/usr/bin/:/bin:/opt/bin',
    'ENV LD_LIBRARY_PATH=/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib',
    'ENV LAMBDA_TASK_ROOT=/var/task',
    'ENV LAMBDA_RUNTIME_DIR=/var/runtime',
    'WORKDIR /var/task',
    'ENTRYPOINT ["/lambda-entrypoint.sh"]',
  ];
  return buildImage(engine, LAMBDA_STANDIN_IMAGE, [], changes, log, {
    files: RUNTIME_CLIENT_FILES.map((f) => path.join(clientDir, f)),
    recipe: LAMBDA_ENTRYPOINT + LAMBDA_BOOTSTRAP,
    write: lambdaFiles(clientDir),
  });
}
