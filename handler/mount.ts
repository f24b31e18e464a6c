import { randomBytes } from 'node:crypto';
import { stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ApiError } from './http.ts';

/**
 * Where the file system is mounted and whether it is usable. The mount root is Lambda's (or the harness's)
 * to create: this function never creates it, so a missing mount shows up as `mount_unavailable` instead of
 * files silently landing on the function's local disk.
 */

/**
 * Error codes that mean the file system itself cannot be used (gone, read-only, full, or unreachable over
 * NFS), as opposed to a bug in this function.
 */
const FILE_SYSTEM_FAILURES = new Set(['ENOENT', 'ENOTDIR', 'EACCES', 'EPERM', 'EROFS', 'ENOSPC', 'EDQUOT', 'EIO', 'ESTALE', 'ETIMEDOUT']);

export function isFileSystemFailure(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && FILE_SYSTEM_FAILURES.has((error as NodeJS.ErrnoException).code ?? '');
}

export function mountUnavailable(message: string): ApiError {
  return new ApiError(503, 'mount_unavailable', message);
}

/**
 * The mount path from `EFS_MOUNT_PATH`, once its root exists and is a directory; `mount_unavailable`
 * otherwise. The variable is read on every call, so one process can serve several mounts (tests).
 */
export async function requireMount(): Promise<string> {
  const mountPath = process.env.EFS_MOUNT_PATH;
  if (!mountPath) {
    throw mountUnavailable('EFS_MOUNT_PATH is not set: the function has no file system mount path configured.');
  }
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(mountPath)).isDirectory();
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist (is the file system mounted?)' : `cannot be read: ${(error as Error).message}`;
    throw mountUnavailable(`Mount path ${mountPath} ${reason}`);
  }
  if (!isDirectory) throw mountUnavailable(`Mount path ${mountPath} is not a directory (is the file system mounted?)`);
  return mountPath;
}

/**
 * Proves the mount is usable by writing and removing a probe file in its root: a permission check alone
 * would miss a read-only or unreachable file system. The dot-name keeps the probe out of every listing.
 */
export async function probeWritable(mountPath: string): Promise<void> {
  const probe = path.join(mountPath, `.health-${randomBytes(8).toString('hex')}.tmp`);
  try {
    await writeFile(probe, '', { flag: 'wx' });
  } catch (error) {
    throw mountUnavailable(`Mount path ${mountPath} is not writable: ${(error as Error).message}`);
  }
  try {
    await unlink(probe);
  } catch (error) {
    throw mountUnavailable(`Mount path ${mountPath} took a write but the probe file could not be removed: ${(error as Error).message}`);
  }
}
