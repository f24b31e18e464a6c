import { chmodSync, chownSync, statSync } from 'node:fs';
import path from 'node:path';
import type { MountModel } from '../../model/assembly.ts';

/**
 * The access point's identity, applied to the local stand-in for EFS. On AWS the function reads and writes
 * as the access point's POSIX user whatever its own user is, and the access point creates its root folder
 * with the owner and permissions of `RootDirectory.CreationInfo`
 * (https://docs.aws.amazon.com/efs/latest/ug/efs-access-points.html). Locally that needs root: then the
 * root folder gets that owner and mode and the execution environments run as that user, so a permission
 * mistake fails here as it would on AWS. Otherwise `say` is told once that it is not enforced, and why.
 * `codeDirs` (the bundles) must be reachable by that user too, as /var/task is on Lambda.
 */
export function applyAccessPointIdentity(
  efsRoot: string,
  rootDir: string,
  mount: MountModel,
  say: (line: string) => void,
  codeDirs: readonly string[] = [],
): { uid: number; gid: number } | undefined {
  const user = `uid ${mount.posixUid}, gid ${mount.posixGid}`;
  const notEnforced = (why: string): undefined => {
    say(`Access point identity not enforced: functions run as uid ${process.getuid?.()}, not as the access point's user (${user}): ${why}`);
    return undefined;
  };
  if (process.getuid?.() !== 0) return notEnforced('run the harness as root to have permission mistakes show locally.');
  // A folder the user cannot enter would fail every request for a reason AWS does not have.
  const blocked = [path.dirname(efsRoot), ...codeDirs].map((dir) => firstClosedAncestor(dir, mount.posixUid, mount.posixGid)).find(Boolean);
  if (blocked) return notEnforced(`${blocked} cannot be entered by that user; put TMPDIR and the project in folders others may enter.`);
  // The folders above the root stand for the file system itself, which the mount lets the user traverse.
  for (let dir = path.dirname(rootDir); dir.startsWith(efsRoot); dir = path.dirname(dir)) chmodSync(dir, 0o755);
  if (mount.ownerUid !== undefined && mount.ownerGid !== undefined) chownSync(rootDir, mount.ownerUid, mount.ownerGid);
  if (mount.permissions !== undefined) chmodSync(rootDir, Number.parseInt(mount.permissions, 8));
  say(`Functions run as the access point's user (${user}); its root ${rootDir} is owned by ${mount.ownerUid}:${mount.ownerGid}, mode ${mount.permissions}.`);
  return { uid: mount.posixUid, gid: mount.posixGid };
}

/** The first folder on the way to `dir` (itself included) that `uid`/`gid` may not enter, if any. */
function firstClosedAncestor(dir: string, uid: number, gid: number): string | undefined {
  for (let current = path.resolve(dir); ; current = path.dirname(current)) {
    const info = statSync(current);
    const bit = info.uid === uid ? 0o100 : info.gid === gid ? 0o010 : 0o001;
    if ((info.mode & bit) === 0) return current;
    if (current === path.dirname(current)) return undefined;
  }
}
