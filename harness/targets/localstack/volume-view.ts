import path from 'node:path';
import type { FileView } from '../../core/environment.ts';

/**
 * The files of a Docker volume (HARNESS_EFS_BRIDGE=volume), read through a running container that mounts it:
 * the same `FileView` the scenarios get from a host folder. `find` and `base64` are GNU coreutils/findutils,
 * which the LocalStack image (Debian) has. Bytes travel base64-encoded, so binary files come back intact.
 */

export interface ExecAnswer {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command (no shell) in the container that mounts the volume. */
export type Exec = (command: string[]) => Promise<ExecAnswer>;

/** Where the reading container mounts the volume, and which container it is (serializable, for EnvironmentInfo). */
export interface VolumeLocation {
  readonly containerId: string;
  /** The volume's mount point in that container: what the function sees at its mount path. */
  readonly path: string;
}

export function containerFolderView(root: string, exec: Exec): FileView {
  const resolve = (relative: string): string => {
    const full = path.posix.resolve(root, relative);
    if (full !== root && !full.startsWith(`${root}/`)) throw new Error(`"${relative}" is outside the mount path.`);
    return full;
  };
  return {
    list: async (dir = '.') => {
      const full = resolve(dir);
      const res = await exec(['find', full, '-mindepth', '1', '-maxdepth', '1', '-printf', '%f\\0']);
      if (res.exitCode !== 0) {
        if (/No such file or directory/.test(res.stderr)) return [];
        throw new Error(`Listing "${dir}" in the EFS volume failed (exit ${res.exitCode}): ${res.stderr.trim()}`);
      }
      return res.stdout.split('\0').filter(Boolean).sort();
    },
    read: async (file) => {
      const res = await exec(['base64', '-w', '0', '--', resolve(file)]);
      if (res.exitCode !== 0) throw new Error(`Reading "${file}" in the EFS volume failed (exit ${res.exitCode}): ${res.stderr.trim()}`);
      return Buffer.from(res.stdout.trim(), 'base64');
    },
  };
}

/** The view of a volume through a container on the Docker engine Testcontainers finds (loaded on first use). */
export function volumeView(location: VolumeLocation): FileView {
  const exec: Exec = async (command) => {
    const { getContainerRuntimeClient } = await import('testcontainers');
    const client = await getContainerRuntimeClient();
    const { exitCode, stdout, stderr } = await client.container.exec(client.container.getById(location.containerId), command);
    return { exitCode, stdout, stderr };
  };
  return containerFolderView(location.path, exec);
}
