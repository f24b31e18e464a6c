import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import os from 'node:os';
import { PassThrough } from 'node:stream';
import { forwardLines } from '../../core/lines.ts';
import { type DockerEngine, type DockerNetworkMode, harnessLabels } from '../../core/docker-engine.ts';
import { lambdaEnvironment } from './lambda-environment.ts';
import { LAMBDA_LIMITS } from './limits.ts';
import { ExitSignal, GO_SIGNAL_NAMES, InitError, type Sandbox, type SandboxInvocation, type SandboxResult, type SandboxSpec } from './sandbox.ts';
import { RuntimeApi, RuntimeInitError } from './runtime-api.ts';

/**
 * Container mode (`HARNESS_LOCAL_RUNTIME=container`): each execution environment is a container of the Lambda
 * base image (or `HARNESS_LAMBDA_IMAGE`), whose entrypoint runs the real runtime client against a Runtime API
 * the harness serves for that one environment (runtime-api.ts). The container gets what Lambda gives a function:
 * the bundle read-only at /var/task, the file system at its mount path, the access point's user, a read-only
 * root, /tmp as a tmpfs of the ephemeral storage size, the memory size as its memory limit, 1,024 open files, and
 * the variables of lambda-environment.ts. Everything it creates carries the run's labels, so that `npm run clean`
 * and the Docker tier's leak check find it.
 */

export interface ContainerSandboxOptions {
  readonly engine: DockerEngine;
  readonly image: string;
  readonly runId: string;
  readonly network: DockerNetworkMode;
  /** Where each environment's Runtime API listens: 127.0.0.1 (host network, Docker Desktop) or the bridge's gateway. @default 127.0.0.1 */
  readonly listenHost?: string;
  /** The host folder standing for the access point's root, or undefined while the mount is taken away (fault). */
  readonly efsDir: () => string | undefined;
  /** The user when the access point's identity cannot be applied (the harness is not root): the harness's own. */
  readonly fallbackUser?: { readonly uid: number; readonly gid: number };
}

/** Where the image keeps the bundle and the runtime (the Lambda base images' LAMBDA_TASK_ROOT and LAMBDA_RUNTIME_DIR). */
export const TASK_ROOT = '/var/task';
export const RUNTIME_DIR = '/var/runtime';
export const ROLE_LABEL = 'dev.harness.role';
const FOREVER_MS = 2 ** 31 - 1;

let serial = 0;

export function containerSandbox(options: ContainerSandboxOptions): (spec: SandboxSpec) => Sandbox {
  return (spec) => new ContainerSandbox(options, spec);
}

/** How Lambda's init process words an exit, from a container's exit code (128 + n: killed by signal n). */
export function describeExit(statusCode: number): string {
  if (statusCode > 128) {
    const signal = Object.entries(os.constants.signals).find(([, number]) => number === statusCode - 128)?.[0] as NodeJS.Signals | undefined;
    if (signal) return `signal: ${GO_SIGNAL_NAMES[signal] ?? signal}`;
  }
  return `exit status ${statusCode}`;
}

class ContainerSandbox implements Sandbox {
  readonly ready: Promise<void>;
  readonly maxRssKb = undefined;
  private id: string | undefined;
  private api: RuntimeApi | undefined;
  private readonly started: Promise<void>;
  private readonly exit = new ExitSignal();
  private destroyed = false;
  private removed: Promise<void> | undefined;
  private readonly options: ContainerSandboxOptions;
  private readonly spec: SandboxSpec;

  constructor(options: ContainerSandboxOptions, spec: SandboxSpec) {
    this.options = options;
    this.spec = spec;
    this.started = this.start();
    this.ready = this.started.then(
      () =>
        Promise.race([
          this.api!.initialized.catch((error: unknown) => {
            throw error instanceof RuntimeInitError ? new InitError(error.lambdaError) : error;
          }),
          new Promise<never>((_, reject) =>
            this.onExit((how) => reject(new InitError({ errorType: 'Runtime.ExitError', errorMessage: `Runtime exited during init with error: ${how}` }))),
          ),
        ]),
      (error: Error) => {
        throw new InitError({ errorType: 'Runtime.Unknown', errorMessage: `The execution environment's container could not start: ${error.message}` });
      },
    );
    this.ready.catch(() => {});
  }

  private async start(): Promise<void> {
    const { engine, network } = this.options;
    const { fn } = this.spec;
    this.api = await RuntimeApi.start(this.options.listenHost ?? '127.0.0.1');
    if (this.destroyed) throw new Error('destroyed before it started');
    const port = this.api.address.split(':')[1]!;
    const environment = lambdaEnvironment({
      fn,
      region: this.spec.region,
      functionEnvironment: this.spec.functionEnvironment,
      taskRoot: TASK_ROOT,
      runtimeDir: RUNTIME_DIR,
      runtimeApi: network === 'host' ? `127.0.0.1:${port}` : `host.docker.internal:${port}`,
    });
    const user = this.spec.runAs ?? this.options.fallbackUser;
    const efsDir = fn.mount ? this.options.efsDir() : undefined;
    serial += 1;
    const name = `harness-${this.options.runId}-${fn.functionName.toLowerCase().replace(/[^a-z0-9_.-]/g, '-')}-${serial}-${randomBytes(3).toString('hex')}`.slice(0, 120);
    const created = await engine.call<{ Id?: string; message?: string }>('POST', `/containers/create?name=${encodeURIComponent(name)}`, {
      Image: this.options.image,
      Cmd: [fn.handler],
      Env: Object.entries(environment).map(([key, value]) => `${key}=${value}`),
      WorkingDir: TASK_ROOT,
      ...(user ? { User: `${user.uid}:${user.gid}` } : {}),
      Labels: { ...harnessLabels(this.options.runId), [ROLE_LABEL]: `lambda:${fn.functionName}` },
      HostConfig: {
        NetworkMode: network === 'host' ? 'host' : 'bridge',
        ...(network === 'host' ? {} : { ExtraHosts: ['host.docker.internal:host-gateway'] }),
        Mounts: [
          { Type: 'bind', Source: fn.assetDir, Target: TASK_ROOT, ReadOnly: true },
          ...(fn.mount && efsDir ? [{ Type: 'bind', Source: efsDir, Target: fn.mount.mountPath }] : []),
        ],
        ReadonlyRootfs: true,
        Tmpfs: { '/tmp': `rw,size=${fn.ephemeralStorageMb}m,mode=1777` },
        Memory: fn.memoryMb * 1_048_576,
        MemorySwap: fn.memoryMb * 1_048_576,
        Ulimits: [{ Name: 'nofile', Soft: LAMBDA_LIMITS.openFiles, Hard: LAMBDA_LIMITS.openFiles }],
      },
    });
    if (created.status !== 201 || !created.value.Id) {
      throw new Error(`Docker Engine API POST /containers/create (${this.options.image}) answered ${created.status}: ${created.value.message ?? ''}`.trim());
    }
    this.id = created.value.Id;
    if (this.destroyed) throw new Error('destroyed before it started');
    await this.attach();
    const startedAnswer = await engine.call<{ message?: string }>('POST', `/containers/${this.id}/start`);
    if (startedAnswer.status !== 204 && startedAnswer.status !== 304) {
      throw new Error(`Docker Engine API POST /containers/${this.id.slice(0, 12)}/start answered ${startedAnswer.status}: ${startedAnswer.value.message ?? ''}`);
    }
    void this.waitForExit();
  }

  /** The container's output, attached before it starts so that no line is lost (Engine API: stream framing). */
  private attach(): Promise<void> {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    for (const stream of [stdout, stderr]) forwardLines(stream, this.spec.log);
    return new Promise((resolve, reject) => {
      const req = request(
        { ...this.options.engine.target, method: 'POST', path: `/containers/${this.id}/attach?stream=1&stdout=1&stderr=1&logs=0` },
        (res) => {
          if (res.statusCode !== 200 && res.statusCode !== 101) {
            res.resume();
            return reject(new Error(`Docker Engine API POST /containers/${this.id!.slice(0, 12)}/attach answered ${res.statusCode}`));
          }
          demultiplex(res, stdout, stderr);
          resolve();
        },
      );
      req.on('error', reject);
      req.end();
    });
  }

  private async waitForExit(): Promise<void> {
    let how = 'exit status 255';
    try {
      const { status, value } = await this.options.engine.call<{ StatusCode?: number }>('POST', `/containers/${this.id}/wait`, undefined, FOREVER_MS);
      if (status === 200 && typeof value.StatusCode === 'number') how = describeExit(value.StatusCode);
    } catch {
      // The engine went away: the environment is gone either way.
    }
    this.exit.end(how);
    // An environment that ended (crash, exit, out of memory) is not restarted: Lambda starts a new one.
    await this.remove();
  }

  private remove(): Promise<void> {
    this.removed ??= (async () => {
      await this.started.catch(() => {});
      if (this.id) await this.options.engine.removeContainer(this.id).catch(() => {});
      await this.api?.close();
    })();
    return this.removed;
  }

  async invoke(invocation: SandboxInvocation): Promise<SandboxResult> {
    await this.started;
    // Faults by container-level means: a crash is the container killed before the handler runs; a hang is an
    // invocation never handed over, which the deadline then ends as Lambda does.
    if (invocation.fault === 'crash') {
      await this.options.engine.call('POST', `/containers/${this.id}/kill?signal=SIGKILL`);
      return new Promise(() => {});
    }
    if (invocation.fault === 'hang') return new Promise(() => {});
    const result = await this.api!.invoke({
      requestId: invocation.requestId,
      event: JSON.stringify(invocation.event),
      deadlineMs: invocation.deadline,
      functionArn: invocation.functionArn,
      traceId: invocation.traceId,
    });
    if (result.ok) return { ok: true, payload: result.payload.toString('utf8') };
    return result;
  }

  onExit(listener: (how: string) => void): () => void {
    return this.exit.listen(listener);
  }

  /** Removes the container (killed at once, as Lambda ends an environment) and closes its Runtime API. */
  async destroy(): Promise<void> {
    this.destroyed = true;
    await this.remove();
  }
}

/** Docker's attach stream: frames of [stream type, 0, 0, 0, size (uint32 BE)] then the bytes (1 stdout, 2 stderr). */
function demultiplex(source: NodeJS.ReadableStream, stdout: PassThrough, stderr: PassThrough): void {
  let buffer: Buffer = Buffer.alloc(0);
  source.on('data', (chunk: Buffer) => {
    buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
    while (buffer.length >= 8) {
      const size = buffer.readUInt32BE(4);
      if (buffer.length < 8 + size) break;
      (buffer[0] === 2 ? stderr : stdout).write(buffer.subarray(8, 8 + size));
      buffer = buffer.subarray(8 + size);
    }
  });
  source.on('end', () => {
    stdout.end();
    stderr.end();
  });
  source.on('error', () => {
    stdout.end();
    stderr.end();
  });
}
