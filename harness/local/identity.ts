import { chmodSync, chownSync } from 'node:fs';
import path from 'node:path';
import type { MountModel } from '../assembly.ts';

/**
 * The access point's identity, applied to the local stand-in for EFS. On AWS the function reads and writes
 * as the access point's POSIX user whatever its own user is, and the access point creates its root folder
 * with the owner and permissions of `RootDirectory.CreationInfo`
 * (https://docs.aws.amazon.com/efs/latest/ug/efs-access-points.html). Locally that needs root: then the
 * root folder gets that owner and mode and the execution environments run as that user, so a permission
 * mistake fails here as it would on AWS. Otherwise `say` is told once that it is not enforced.
 */
export function applyAccessPointIdentity(
  efsRoot: string,
  rootDir: string,
  mount: MountModel,
  say: (line: string) => void,
): { uid: number; gid: number } | undefined {
  const user = `uid ${mount.posixUid}, gid ${mount.posixGid}`;
  if (process.getuid?.() !== 0) {
    say(
      `Access point identity not enforced: functions run as this user (uid ${process.getuid?.()}), not as the access point's (${user}); ` +
        'run the harness as root to have permission mistakes show locally.',
    );
    return undefined;
  }
  // The folders above the root stand for the file system itself, which the mount lets the user traverse.
  for (let dir = path.dirname(rootDir); dir.startsWith(efsRoot); dir = path.dirname(dir)) chmodSync(dir, 0o755);
  if (mount.ownerUid !== undefined && mount.ownerGid !== undefined) chownSync(rootDir, mount.ownerUid, mount.ownerGid);
  if (mount.permissions !== undefined) chmodSync(rootDir, Number.parseInt(mount.permissions, 8));
  say(`Functions run as the access point's user (${user}); its root ${rootDir} is owned by ${mount.ownerUid}:${mount.ownerGid}, mode ${mount.permissions}.`);
  return { uid: mount.posixUid, gid: mount.posixGid };
}
