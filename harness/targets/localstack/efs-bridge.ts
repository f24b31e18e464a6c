import { chmod, chown, mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { MountModel, PatternModel } from '../../model/assembly.ts';

/**
 * The EFS bridge. LocalStack never mounts EFS into Lambda containers (localstack/localstack#10915), so the
 * harness stands in for the file system with a host folder and bind-mounts the access point's root of it at
 * the function's mount path in every Lambda container, through `LAMBDA_DOCKER_FLAGS`
 * (`-v <host>:<mount path>`, as LocalStack's maintainers suggest in #7684). Scenarios read the same folder.
 *
 * Layout: `<efsRoot>/<file system logical id>/<access point root path>` is what a function sees at its mount
 * path, e.g. `/tmp/harness-efs-x/MyFileSystem8A1B2C3D/lambda` at `/mnt/msg`.
 */

export interface BridgedMount {
  /** Host folder the function sees at `mountPath`. */
  readonly hostDir: string;
  readonly mountPath: string;
  readonly mount: MountModel;
  /** Functions that mount it. */
  readonly functionNames: readonly string[];
}

/** Folder standing for what a mount shows: the access point's root inside its file system's folder. */
export function bridgeHostDir(efsRoot: string, mount: MountModel): string {
  return path.join(efsRoot, mount.fileSystemLogicalId, mount.rootPath);
}

/** One bind per distinct (host folder, mount path) among the model's functions, in template order. */
export function bridgedMounts(model: PatternModel, efsRoot: string): BridgedMount[] {
  const byKey = new Map<string, { hostDir: string; mountPath: string; mount: MountModel; functionNames: string[] }>();
  for (const fn of model.functions) {
    if (!fn.mount) continue;
    const hostDir = bridgeHostDir(efsRoot, fn.mount);
    const key = `${hostDir}\0${fn.mount.mountPath}`;
    const entry = byKey.get(key) ?? { hostDir, mountPath: fn.mount.mountPath, mount: fn.mount, functionNames: [] };
    entry.functionNames.push(fn.functionName);
    byKey.set(key, entry);
  }
  return [...byKey.values()];
}

// LocalStack reads each `-v` value with this pattern (localstack-core, container_client.py,
// parse_additional_flags); a path with other characters is cut short or skipped with only a log warning.
// Python's `\w` is Unicode-aware: letters, digits and underscore. A `:` in the host path would be taken for
// the separator (the host part is matched lazily), so it is refused too.
const HOST_PATH = /^[\p{L}\p{N}_\s\\/.-]+$/u;
const CONTAINER_PATH = /^[\p{L}\p{N}_\s/.-]+$/u;

/** Docker volume names (bridge-mode.ts `volumeName`) also match LocalStack's host pattern. */
const VOLUME = /^[A-Za-z0-9][A-Za-z0-9_.-]+$/;

/** A `-v` of the bridge: an absolute host folder (`bind`) or a Docker volume's name (`volume`). */
export interface BridgeBind {
  readonly source: string;
  readonly mountPath: string;
}

/**
 * The `-v` flags for `LAMBDA_DOCKER_FLAGS`. LocalStack splits the variable with Python's `shlex.split`, so a
 * path with spaces is single-quoted exactly as `shlex.quote` would, and passes each source on to Docker as
 * it is (container_client.py `convert_mount_list_to_dict`): the Docker daemon, not LocalStack, resolves a
 * host path, and takes a source that is not a path for a named volume.
 */
export function lambdaDockerFlags(binds: readonly BridgeBind[]): string {
  return binds
    .map(({ source, mountPath }) => {
      const isVolume = !path.isAbsolute(source) && VOLUME.test(source);
      if (!isVolume && (!path.isAbsolute(source) || !HOST_PATH.test(source))) {
        throw new Error(
          `The EFS bridge folder "${source}" has characters LocalStack cannot read in LAMBDA_DOCKER_FLAGS ` +
            '(letters, digits, _ . - / and spaces only): point TMPDIR (or HARNESS_EFS_DIR) at a plainer path.',
        );
      }
      if (!CONTAINER_PATH.test(mountPath)) throw new Error(`Mount path "${mountPath}" cannot be passed in LAMBDA_DOCKER_FLAGS.`);
      return `-v ${shellQuote(`${source}:${mountPath}`)}`;
    })
    .join(' ');
}

/** Python's `shlex.quote`: safe words stay as they are, anything else is single-quoted. */
export function shellQuote(word: string): string {
  if (word === '') return "''";
  if (/^[\w@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replaceAll("'", `'"'"'`)}'`;
}

/**
 * UID under which LocalStack's Lambda containers run functions: its init drops root to sbx_user1051 unless
 * LAMBDA_INIT_USER says otherwise (localstack/localstack@8b9a79f0, localstack-core/localstack/config.py), and
 * the Lambda base images define that user with uid 993. The folder is opened to everyone, so another uid works too.
 */
export const LOCALSTACK_LAMBDA_UID = 993;

export interface PreparedDir {
  readonly dir: string;
  /** What was done to make the folder writable, for the progress line. */
  readonly how: string;
}

export interface PrepareOptions {
  /** Give the folder to the access point's POSIX user where the harness may (root on Linux). @default true */
  readonly giveToPosixUser?: boolean;
  /** @default whether this process runs as root */
  readonly isRoot?: boolean;
  /** @default process.platform */
  readonly platform?: NodeJS.Platform;
}

/**
 * Creates a bridged folder the function can write to. On AWS every file operation through the access point
 * runs as its POSIX user; in LocalStack the function runs as uid 993 and a bind mount enforces nothing, so the
 * folder is opened to everyone (0777) and, where the harness may (root on Linux), also given to the access
 * point's POSIX user, as the access point would create it. A folder someone else set up (docker compose's)
 * keeps its owner: `giveToPosixUser: false`.
 */
export async function prepareHostDir(dir: string, mount: MountModel, options: PrepareOptions = {}): Promise<PreparedDir> {
  const isRoot = options.isRoot ?? process.getuid?.() === 0;
  const platform = options.platform ?? process.platform;
  await mkdir(dir, { recursive: true });
  const notes: string[] = [];
  if ((options.giveToPosixUser ?? true) && isRoot && platform === 'linux') {
    try {
      await chown(dir, mount.posixUid, mount.posixGid);
      notes.push(`owner set to ${mount.posixUid}:${mount.posixGid} (the access point's POSIX user)`);
    } catch (error) {
      notes.push(`owner left as is (chown to ${mount.posixUid}:${mount.posixGid} failed: ${(error as Error).message})`);
    }
  }
  try {
    await chmod(dir, 0o777);
    notes.push(`mode 0777 so that the function's user in LocalStack (uid ${LOCALSTACK_LAMBDA_UID}) can write`);
  } catch (error) {
    notes.push(`mode left as is (chmod failed: ${(error as Error).message}); the function may be unable to write`);
  }
  return { dir, how: notes.join(', ') };
}
