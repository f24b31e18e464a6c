import { type FolderVisibility, guessPlacement, LOCAL_PROBES, type PlacementProbes } from '../../core/docker-engine.ts';

/**
 * HARNESS_EFS_BRIDGE: what carries the EFS bridge into every Lambda container.
 * - `bind`: a host folder (`-v /host/folder:/mnt/msg`). The Docker daemon resolves the `-v` source on its
 *   own host, so this works only where the daemon sees the harness's folders at the same paths.
 * - `volume`: a named Docker volume (`-v harness-efs-…:/mnt/msg`), which lives in the daemon itself; the
 *   harness reads it through a container that mounts the same volume (volume-view.ts).
 * Unset: `bind` on a local daemon, `volume` where the harness can tell that the daemon would not see its
 * folders (it runs in a container, or DOCKER_HOST is remote). A colima/Podman VM that does not share the
 * folder, or SELinux, cannot be told from here: the /health proof catches them with a diagnosis.
 */

export const BRIDGE_MODES = ['bind', 'volume'] as const;
export type BridgeMode = (typeof BRIDGE_MODES)[number];

/** Why the Docker daemon may not see this process's folders; empty when nothing suggests it. */
export interface DockerPlacement {
  /** How we know this process runs in a container. */
  readonly inContainer?: string;
  /** The remote DOCKER_HOST. */
  readonly remoteDocker?: string;
  /** Tried: the engine saw (or did not see) a folder of this process; this outweighs the markers. */
  readonly tried?: FolderVisibility;
}

/**
 * What a throw-away container showed (engineSeesFolders), or, where it could not be tried (the image is not on
 * the engine yet), what the markers suggest. `npm run doctor` uses the same.
 */
export function placementByBehaviour(tried: FolderVisibility | undefined, env: NodeJS.ProcessEnv): DockerPlacement {
  return tried ? { tried } : dockerPlacement(env);
}

/** The shared guess (core/docker-engine.ts guessPlacement, also the doctor's) as the bridge choice reads it. */
export function dockerPlacement(env: NodeJS.ProcessEnv, probes: PlacementProbes = LOCAL_PROBES): DockerPlacement {
  const guess = guessPlacement(env, probes);
  if (guess.placement === 'remote') return { remoteDocker: env.DOCKER_HOST!.trim() };
  if (guess.placement === 'docker-outside-of-docker') return { inContainer: `${guess.marker} exists` };
  return {};
}

export interface BridgeChoice {
  readonly mode: BridgeMode;
  readonly reason: string;
  /** Said before anything starts: an explicit `bind` where the daemon may not see the folder. */
  readonly warning?: string;
}

/**
 * `startsLocalstack`: the `localstack` target sets LAMBDA_DOCKER_FLAGS itself and may pick `volume` on its
 * own; the `endpoint` target uses a LocalStack someone else configured, so unset means `bind` (what
 * docker-compose.yml sets up) and a suspicious placement only earns a warning.
 */
export function chooseBridge(env: NodeJS.ProcessEnv, placement: DockerPlacement, startsLocalstack = true): BridgeChoice {
  const value = env.HARNESS_EFS_BRIDGE?.trim();
  const why = placement.tried
    ? placement.tried.visible
      ? ''
      : placement.tried.how
    : [placement.inContainer && `this process runs in a container (${placement.inContainer})`, placement.remoteDocker && `DOCKER_HOST=${placement.remoteDocker} is remote`]
        .filter(Boolean)
        .join(' and ');
  if (value && !(BRIDGE_MODES as readonly string[]).includes(value)) {
    throw new Error(`HARNESS_EFS_BRIDGE="${value}" is not one of ${BRIDGE_MODES.join(', ')}: bind (a host folder) or volume (a Docker volume).`);
  }
  if (value === 'volume') return { mode: 'volume', reason: 'HARNESS_EFS_BRIDGE=volume' };
  if (value === 'bind') {
    return {
      mode: 'bind',
      reason: 'HARNESS_EFS_BRIDGE=bind',
      ...(why
        ? {
            warning:
              `HARNESS_EFS_BRIDGE=bind although ${why}: the Docker daemon resolves the folder on its own host. This works only if the ` +
              'daemon sees the folder at the same path (e.g. docker compose services that share a host folder); otherwise the function ' +
              'gets an empty root-owned folder and GET /health fails. Unset HARNESS_EFS_BRIDGE (or set volume) to use a Docker volume.',
          }
        : {}),
    };
  }
  if (why && startsLocalstack) return { mode: 'volume', reason: `${why}, so a host folder may not be what the Docker daemon sees` };
  if (why) {
    return {
      mode: 'bind',
      reason: 'HARNESS_EFS_BRIDGE is unset',
      warning:
        `${why}: the function sees the folder only if the Docker daemon has it at the same path (as docker compose's services do). ` +
        'If your LocalStack mounts a Docker volume at the mount path instead (LAMBDA_DOCKER_FLAGS=-v <volume>:/mnt/msg), set ' +
        'HARNESS_EFS_BRIDGE=volume and HARNESS_EFS_VOLUME=<volume>.',
    };
  }
  return { mode: 'bind', reason: placement.tried ? placement.tried.how : 'a local Docker daemon' };
}

/** Docker's rule for volume names, which LocalStack's `-v` pattern also accepts. */
const VOLUME_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]+$/;

/** The volume for a run (or the reused one), one per bridged mount when there are several. */
export function volumeName(base: string, index: number, count: number): string {
  const name = `${base}${count > 1 ? `-${index + 1}` : ''}`.replace(/[^A-Za-z0-9_.-]+/g, '-');
  if (!VOLUME_NAME.test(name)) throw new Error(`"${name}" is not a Docker volume name (letters, digits, _ . -, starting with a letter or digit).`);
  return name;
}
