import { describe, expect, it } from 'vitest';
import { chooseBridge, dockerPlacement, volumeName } from './bridge-mode.ts';

describe('dockerPlacement', () => {
  const none = { exists: () => false, daemonRunsHere: () => false };
  const marker = (file: string, daemonRunsHere = false) => ({ exists: (f: string) => f === file, daemonRunsHere: () => daemonRunsHere });

  // Docker puts /.dockerenv into every container (github.com/moby/moby@b985e2313a8676e18072b442911fc8f64f17d440,
  // daemon/initlayer/setup_unix.go); Podman writes /run/.containerenv (github.com/containers/podman@c6580b4a5219c9efb9ab79a540637d8a58b736f8,
  // libpod/container_internal_common.go).
  it("should see a container by Docker's /.dockerenv or Podman's /run/.containerenv", () => {
    expect(dockerPlacement({}, marker('/.dockerenv'))).toEqual({ inContainer: '/.dockerenv exists' });
    expect(dockerPlacement({}, marker('/run/.containerenv'))).toEqual({ inContainer: '/run/.containerenv exists' });
    expect(dockerPlacement({}, none)).toEqual({});
  });

  it('should take a container where dockerd itself runs for a local engine (Docker-in-Docker), as npm run doctor does', () => {
    expect(dockerPlacement({}, marker('/.dockerenv', true))).toEqual({});
  });

  it('should see a remote DOCKER_HOST, but not a local socket or a daemon on this machine', () => {
    expect(dockerPlacement({ DOCKER_HOST: 'tcp://10.0.0.5:2376' }, none)).toEqual({ remoteDocker: 'tcp://10.0.0.5:2376' });
    expect(dockerPlacement({ DOCKER_HOST: 'ssh://me@build-box' }, none)).toEqual({ remoteDocker: 'ssh://me@build-box' });
    expect(dockerPlacement({ DOCKER_HOST: 'tcp://docker:2375' }, none)).toEqual({ remoteDocker: 'tcp://docker:2375' });
    expect(dockerPlacement({ DOCKER_HOST: 'unix:///run/user/1000/docker.sock' }, none)).toEqual({});
    expect(dockerPlacement({ DOCKER_HOST: 'tcp://127.0.0.1:2375' }, none)).toEqual({});
    expect(dockerPlacement({ DOCKER_HOST: 'tcp://localhost:2375' }, none)).toEqual({});
  });
});

describe('chooseBridge', () => {
  it('should bind a host folder on a local daemon', () => {
    expect(chooseBridge({}, {})).toEqual({ mode: 'bind', reason: 'a local Docker daemon' });
  });

  it('should pick a volume for the localstack target where the daemon may not see the folder, saying why', () => {
    expect(chooseBridge({}, { inContainer: '/.dockerenv exists', remoteDocker: 'tcp://10.0.0.5:2376' })).toEqual({
      mode: 'volume',
      reason: 'this process runs in a container (/.dockerenv exists) and DOCKER_HOST=tcp://10.0.0.5:2376 is remote, so a host folder may not be what the Docker daemon sees',
    });
  });

  it('should keep an explicit bind there with a warning that says what happens and what to do', () => {
    const choice = chooseBridge({ HARNESS_EFS_BRIDGE: 'bind' }, { inContainer: '/.dockerenv exists' });
    expect(choice.mode).toBe('bind');
    expect(choice.warning).toMatch(/^HARNESS_EFS_BRIDGE=bind although this process runs in a container.*empty root-owned folder and GET \/health fails\. Unset HARNESS_EFS_BRIDGE \(or set volume\)/);
  });

  it("should keep bind for a LocalStack someone else started (the endpoint target), warning in a container", () => {
    const choice = chooseBridge({}, { inContainer: '/.dockerenv exists' }, false);
    expect(choice).toMatchObject({ mode: 'bind', reason: 'HARNESS_EFS_BRIDGE is unset' });
    expect(choice.warning).toContain('set HARNESS_EFS_BRIDGE=volume and HARNESS_EFS_VOLUME=<volume>');
    expect(chooseBridge({ HARNESS_EFS_BRIDGE: 'volume' }, {}, false)).toEqual({ mode: 'volume', reason: 'HARNESS_EFS_BRIDGE=volume' });
  });

  it('should refuse other values', () => {
    expect(() => chooseBridge({ HARNESS_EFS_BRIDGE: 'nfs' }, {})).toThrow('HARNESS_EFS_BRIDGE="nfs" is not one of bind, volume');
  });
});

describe('volumeName', () => {
  // Docker's rule for volume names: ^[a-zA-Z0-9][a-zA-Z0-9_.-]+$ (github.com/moby/moby@b985e2313a8676e18072b442911fc8f64f17d440,
  // daemon/names/names.go RestrictedNamePattern, checked in daemon/volume/local/local.go).
  it('should make Docker volume names, numbered when a stack bridges several mounts', () => {
    expect(volumeName('harness-efs-20261126-101500-ab12', 0, 1)).toBe('harness-efs-20261126-101500-ab12');
    expect(volumeName('harness-efs-x', 1, 2)).toBe('harness-efs-x-2');
    expect(volumeName('my run/Ω', 0, 1)).toBe('my-run-');
    expect(() => volumeName('-x', 0, 1)).toThrow('"-x" is not a Docker volume name');
  });
});
