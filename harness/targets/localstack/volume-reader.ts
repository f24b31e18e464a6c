import type { VolumeLocation } from './volume-view.ts';

/**
 * A container that mounts a bridge volume so that the harness can read it (volume-view.ts) when LocalStack is
 * not its own (the `endpoint` target). It runs the LocalStack image, which the daemon has already: no other
 * image needs a registry. Testcontainers labels it for Ryuk, so a killed run leaves nothing behind.
 */

/** Where the reader mounts the volume. */
export const READER_PATH = '/efs';

export interface VolumeReader {
  readonly location: VolumeLocation;
  stop(): Promise<void>;
}

export async function startVolumeReader(image: string, volume: string): Promise<VolumeReader> {
  const { GenericContainer } = await import('testcontainers');
  const started = await new GenericContainer(image)
    // LocalStack's entrypoint would start LocalStack: this container only has to stay up.
    .withEntrypoint(['sleep'])
    .withCommand(['infinity'])
    // A source that is not a path is a named volume (Docker Engine API, HostConfig.Binds).
    .withBindMounts([{ source: volume, target: READER_PATH, mode: 'rw' }])
    .start();
  const stop = async () => void (await started.stop());
  // A new volume's root belongs to root (0755); the function runs as uid 993 (docs/localstack-behaviour.md).
  const opened = await started.exec(['chmod', '0777', READER_PATH]);
  if (opened.exitCode !== 0) {
    await stop();
    throw new Error(`chmod 0777 ${READER_PATH} in the reader of volume ${volume} exited with ${opened.exitCode}: ${opened.output.trim()}`);
  }
  return { location: { containerId: started.getId(), path: READER_PATH }, stop };
}
