import { appendFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { FunctionModel } from '../assembly.ts';
import type { FaultName } from '../environment.ts';
import { applyAccessPointIdentity } from '../local/identity.ts';
import { FunctionRuntime } from '../local/runtime.ts';
import { type FaultControl, startApiServer, startControlServer } from '../local/server.ts';
import type { StartTarget } from '../target.ts';

/**
 * The offline target: the bundled handler from the cloud assembly runs in Node processes behind a local
 * HTTP server that plays the HTTP API, with the mount path mapped to a fresh host folder. No Docker, no
 * network beyond 127.0.0.1.
 */

const REGION = 'us-east-1';
const ACCOUNT_ID = '000000000000';
/** Log lines kept in memory per function (all of them also go to the run folder). */
const LOG_LINES_KEPT = 2_000;

export const start: StartTarget = async (ctx) => {
  const model = await ctx.progress.phase('synthesize CDK app', () =>
    ctx.synth({ stackName: 'HelloVpcLambda', outdir: path.join(ctx.runDir, 'cdk.out') }),
  );
  const mount = model.apiFunction.mount;
  if (!mount) throw new Error(`Function ${model.apiFunction.functionName} mounts no file system in ${model.templatePath}.`);

  // Created and registered in one synchronous step: an interrupt cannot fall between the two and leak it.
  const efsRoot = mkdtempSync(path.join(os.tmpdir(), 'harness-efs-'));
  ctx.cleanup.add(`EFS folder ${efsRoot}`, () => rm(efsRoot, { recursive: true, force: true }));
  // What the function sees at its mount path is the access point's root inside the file system.
  const efsDir = path.join(efsRoot, mount.fileSystemLogicalId, mount.rootPath);
  mkdirSync(efsDir, { recursive: true, mode: mount.permissions ? Number.parseInt(mount.permissions, 8) : 0o750 });
  const runAs = applyAccessPointIdentity(efsRoot, efsDir, mount, (line) => ctx.progress.info(line), model.functions.map((fn) => fn.assetDir));

  const logDir = path.join(ctx.runDir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const logs = new Map<string, string[]>();
  const runtimes = new Map<string, FunctionRuntime>();
  for (const fn of model.functions) {
    const lines: string[] = [];
    logs.set(fn.functionName, lines);
    const logFile = path.join(logDir, `${fn.functionName}.log`);
    const runtime = new FunctionRuntime({
      fn,
      environment: localEnvironment(fn, efsRoot),
      region: REGION,
      accountId: ACCOUNT_ID,
      ...(runAs && fn.mount ? { runAs } : {}),
      log: (line) => {
        lines.push(line);
        if (lines.length > LOG_LINES_KEPT) lines.splice(0, lines.length - LOG_LINES_KEPT);
        appendFileSync(logFile, `${line}\n`);
      },
    });
    ctx.cleanup.add(`function ${fn.functionName}`, () => runtime.close());
    runtimes.set(fn.logicalId, runtime);
  }

  const api = await ctx.progress.phase('start local HTTP API', () =>
    startApiServer({
      routes: model.routes,
      runtimes,
      apiId: 'local',
      accountId: ACCOUNT_ID,
      ...(ctx.env.HARNESS_LOCAL_PORT ? { port: Number(ctx.env.HARNESS_LOCAL_PORT) } : {}),
    }),
  );
  ctx.cleanup.add(`HTTP API on ${api.url}`, () => api.close());

  const apiRuntime = runtimes.get(model.apiFunction.logicalId)!;
  const faults: Record<FaultName, FaultControl> = {
    'mount-missing': detachable(efsDir),
    'function-crash': runtimeFault(apiRuntime, 'crash'),
    'function-timeout': runtimeFault(apiRuntime, 'hang'),
  };
  const control = await startControlServer({
    functions: new Map(model.functions.map((fn) => [fn.functionName, runtimes.get(fn.logicalId)!])),
    logs: (name) => logs.get(name) ?? [],
    faults,
    region: REGION,
    accountId: ACCOUNT_ID,
  });
  ctx.cleanup.add(`control server on ${control.url}`, () => control.close());

  return {
    info: {
      target: 'local',
      apiUrl: api.url,
      mountPath: mount.mountPath,
      efsDir,
      functionName: model.apiFunction.functionName,
      functionTimeoutSeconds: model.apiFunction.timeoutSeconds,
      region: REGION,
      awsEndpoint: control.url,
      controlUrl: control.url,
      faults: Object.keys(faults) as FaultName[],
      runDir: ctx.runDir,
      runId: ctx.runId,
    },
    // Everything above registered its removal with ctx.cleanup, which the harness runs after this.
    teardown: () => Promise.resolve(),
  };
};

/**
 * The function's environment with every value that points into a mount path rewritten to the host folder
 * standing for it (access point root applied), so `EFS_MOUNT_PATH=/mnt/msg` becomes the local folder.
 */
export function localEnvironment(fn: FunctionModel, efsRoot: string): Record<string, string> {
  const mount = fn.mount;
  if (!mount) return { ...fn.environment };
  const hostDir = path.join(efsRoot, mount.fileSystemLogicalId, mount.rootPath);
  return Object.fromEntries(
    Object.entries(fn.environment).map(([name, value]) => [
      name,
      value === mount.mountPath || value.startsWith(`${mount.mountPath}/`) ? hostDir + value.slice(mount.mountPath.length) : value,
    ]),
  );
}

/** The file system disappears (renamed aside) and comes back with everything it held. */
function detachable(dir: string): FaultControl {
  const aside = `${dir}.detached`;
  let detached = false;
  return {
    inject: async () => {
      if (detached) return;
      await rename(dir, aside);
      detached = true;
    },
    clear: async () => {
      if (!detached) return;
      await rename(aside, dir);
      detached = false;
    },
  };
}

function runtimeFault(runtime: FunctionRuntime, fault: 'crash' | 'hang'): FaultControl {
  return {
    inject: async () => {
      runtime.fault = fault;
    },
    clear: async () => {
      runtime.fault = undefined;
    },
  };
}
