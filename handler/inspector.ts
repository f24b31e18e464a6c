import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { ApiError, quoteInput } from './http.ts';
import { requireMount } from './mount.ts';

/**
 * A read-only view of the mounted file system for tests against real AWS, where EFS is reachable only inside
 * the VPC. Invoked directly (no HTTP) with `{ op: 'list' | 'read', path }`, `path` relative to the mount
 * path. It never writes, and it refuses every path that leads outside the mount, symlinks included.
 */

export type InspectorEvent = { readonly op: 'list' | 'read'; readonly path: string };

export type InspectorResult =
  | { readonly entries: string[] }
  | { readonly base64: string }
  | { readonly error: { readonly code: string; readonly message: string } };

/** Lambda returns at most 6 MB; base64 makes 4 MiB of file about 5.3 MB. */
export const MAX_READ_BYTES = 4 * 1024 * 1024;

class InspectorError extends Error {
  readonly code: string;

  constructor(code: string, message: string) {
    super(message);
    this.name = 'InspectorError';
    this.code = code;
  }
}

export async function handler(event: InspectorEvent): Promise<InspectorResult> {
  const started = performance.now();
  const result = await inspect(event).catch(toErrorResult);
  console.log(
    JSON.stringify({
      op: String(event?.op),
      path: typeof event?.path === 'string' ? event.path.slice(0, 200) : undefined,
      outcome: 'error' in result ? result.error.code : 'ok',
      ms: Math.round(performance.now() - started),
    }),
  );
  return result;
}

/** The event comes from whoever may invoke the function: every field is checked. */
async function inspect(event: unknown): Promise<InspectorResult> {
  const { op, path: relative } = (event ?? {}) as { op?: unknown; path?: unknown };
  if (op !== 'list' && op !== 'read') {
    throw new InspectorError('invalid_op', `"op" must be "list" or "read", got ${quoteInput(String(op))}.`);
  }
  checkRelativePath(relative);
  const target = await resolveInsideMount(await requireMount(), relative);
  return op === 'list' ? list(target) : read(target, relative);
}

/** Rejects what could name something outside the mount before the file system is touched. */
function checkRelativePath(relative: unknown): asserts relative is string {
  const problem =
    typeof relative !== 'string'
      ? 'must be a string relative to the mount path, like "messages"'
      : relative.includes('\0')
        ? 'contains a NUL byte'
        : path.isAbsolute(relative)
          ? 'is absolute; give it relative to the mount path, like "messages"'
          : relative.split('/').includes('..')
            ? 'contains a ".." segment'
            : undefined;
  if (problem) {
    throw new InspectorError('invalid_path', `${typeof relative === 'string' ? `Path ${quoteInput(relative)}` : '"path"'} ${problem}.`);
  }
}

/**
 * The real path of `relative` under the mount, or undefined when nothing is there. Symlinks are resolved
 * (realpath) and the result must stay inside the mount's own real path; for a missing path, its nearest
 * existing ancestor must, so a link to the outside cannot be probed either.
 */
async function resolveInsideMount(mountPath: string, relative: string): Promise<string | undefined> {
  const root = await realpath(mountPath);
  let candidate = path.join(root, relative);
  let missing = false;
  for (;;) {
    try {
      const real = await realpath(candidate);
      if (!isInside(root, real)) {
        throw new InspectorError('invalid_path', `Path ${quoteInput(relative)} leads outside the mount path ${mountPath} (through a symbolic link).`);
      }
      return missing ? undefined : real;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw error;
      missing = true;
      candidate = path.dirname(candidate);
    }
  }
}

function isInside(root: string, candidate: string): boolean {
  const relative = path.relative(root, candidate);
  return relative === '' || (relative !== '..' && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative));
}

/** Sorted names in the folder; a folder that does not exist (yet) lists as empty. */
async function list(target: string | undefined): Promise<InspectorResult> {
  if (target === undefined) return { entries: [] };
  try {
    return { entries: (await readdir(target)).sort() };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOTDIR') throw new InspectorError('not_a_directory', `${target} is not a directory.`);
    throw error;
  }
}

async function read(target: string | undefined, relative: string): Promise<InspectorResult> {
  if (target === undefined) throw new InspectorError('not_found', `No file at ${quoteInput(relative)} under the mount path.`);
  const info = await stat(target);
  if (!info.isFile()) throw new InspectorError('not_a_file', `${target} is not a regular file.`);
  if (info.size > MAX_READ_BYTES) {
    throw new InspectorError('too_large', `${target} is ${info.size} bytes; the inspector reads at most ${MAX_READ_BYTES} bytes.`);
  }
  return { base64: (await readFile(target)).toString('base64') };
}

function toErrorResult(error: unknown): InspectorResult {
  if (error instanceof InspectorError || error instanceof ApiError) return { error: { code: error.code, message: error.message } };
  console.error(error);
  return { error: { code: 'internal', message: `Inspecting failed: ${(error as Error).message}` } };
}
