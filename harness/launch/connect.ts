import { readdir, readFile, realpath } from 'node:fs/promises';
import path from 'node:path';
import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import type { Environment, EnvironmentInfo, FaultName, FileView, InvokeResult } from '../core/environment.ts';
import { volumeView } from '../targets/localstack/volume-view.ts';

/**
 * Turns the serializable `EnvironmentInfo` that global setup provides into the `Environment` scenarios use.
 * The same SDK calls serve every target: the local target serves the Lambda Invoke API itself.
 */
export function connect(info: EnvironmentInfo): Environment {
  // Emulators accept any credentials; real AWS uses the default chain.
  const clientConfig = {
    region: info.region,
    ...(info.awsEndpoint ? { endpoint: info.awsEndpoint, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } } : {}),
  };
  const lambda = new LambdaClient(clientConfig);
  const invoke = (functionName: string, event: unknown) => invokeFunction(lambda, functionName, event);
  const files = info.efsDir
    ? hostFolderView(info.efsDir)
    : info.efsVolume
      ? volumeView(info.efsVolume)
      : info.inspectorFunctionName
      ? inspectorView((event) => invoke(info.inspectorFunctionName!, event))
      : unavailableView(info);
  return {
    info,
    apiUrl: info.apiUrl,
    files,
    invoke: (event) => invoke(info.functionName, event),
    logs: () => (info.controlUrl ? localLogs(info.controlUrl, info.functionName) : cloudWatchLogs(new CloudWatchLogsClient(clientConfig), info.functionName)),
    canInject: (fault) => info.faults.includes(fault),
    inject: async (fault: FaultName) => {
      if (!info.controlUrl || !info.faults.includes(fault)) {
        throw new Error(`The ${info.target} target cannot inject "${fault}"; it can inject: ${info.faults.join(', ') || 'nothing'}.`);
      }
      await control(info.controlUrl, 'PUT', fault);
      return () => control(info.controlUrl!, 'DELETE', fault);
    },
  };
}

async function invokeFunction(lambda: LambdaClient, functionName: string, event: unknown): Promise<InvokeResult> {
  const output = await lambda.send(new InvokeCommand({ FunctionName: functionName, Payload: Buffer.from(JSON.stringify(event)) }));
  const text = output.Payload ? Buffer.from(output.Payload).toString('utf8') : '';
  let payload: unknown = text;
  try {
    payload = text === '' ? undefined : JSON.parse(text);
  } catch {
    // Not JSON: keep the text.
  }
  return { payload, ...(output.FunctionError ? { functionError: output.FunctionError } : {}) };
}

/** Files under a host folder that stands for the mount path; paths may not leave it. */
export function hostFolderView(root: string): FileView {
  const resolve = async (relative: string): Promise<string> => {
    const full = path.resolve(root, relative);
    if (full !== root && !full.startsWith(root + path.sep)) throw new Error(`"${relative}" is outside the mount path.`);
    return full;
  };
  return {
    list: async (dir = '.') => {
      try {
        return (await readdir(await resolve(dir))).sort();
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw error;
      }
    },
    read: async (file) => {
      const full = await resolve(file);
      const real = await realpath(full).catch(() => full);
      if (real !== root && !real.startsWith((await realpath(root)) + path.sep)) throw new Error(`"${file}" resolves outside the mount path.`);
      return readFile(full);
    },
  };
}

/** Files read through the read-only inspector function (real AWS: EFS is reachable only inside the VPC). */
export function inspectorView(call: (event: unknown) => Promise<InvokeResult>): FileView {
  const ask = async (event: { op: string; path: string }): Promise<Record<string, unknown>> => {
    const result = await call(event);
    const payload = result.payload as Record<string, unknown> | undefined;
    if (result.functionError || !payload) throw new Error(`The EFS inspector failed for ${JSON.stringify(event)}: ${JSON.stringify(result.payload)}`);
    return payload;
  };
  return {
    list: async (dir = '.') => {
      const payload = await ask({ op: 'list', path: dir });
      if (payload.error) throw new Error(`Listing "${dir}" failed: ${JSON.stringify(payload.error)}`);
      return (payload.entries as string[]).slice().sort();
    },
    read: async (file) => {
      const payload = await ask({ op: 'read', path: file });
      if (payload.error) throw new Error(`Reading "${file}" failed: ${JSON.stringify(payload.error)}`);
      return Buffer.from(payload.base64 as string, 'base64');
    },
  };
}

function unavailableView(info: EnvironmentInfo): FileView {
  const fail = (): never => {
    throw new Error(`The ${info.target} target gives no view of the files (no efsDir, no inspector function).`);
  };
  return { list: async () => fail(), read: async () => fail() };
}

async function localLogs(controlUrl: string, functionName: string): Promise<string[]> {
  const res = await fetch(`${controlUrl}/__harness/logs?function=${encodeURIComponent(functionName)}`);
  if (!res.ok) throw new Error(`Reading local logs of ${functionName} failed: HTTP ${res.status} ${await res.text()}`);
  return ((await res.json()) as { lines: string[] }).lines;
}

/** A function's log lines of the last 15 minutes, oldest first (CloudWatch Logs on AWS and in LocalStack). */
export async function cloudWatchLogs(logs: Pick<CloudWatchLogsClient, 'send'>, functionName: string): Promise<string[]> {
  const lines: string[] = [];
  let nextToken: string | undefined;
  // The last 15 minutes are plenty for a test run and keep the call bounded.
  const startTime = Date.now() - 15 * 60_000;
  do {
    const page = await logs.send(
      new FilterLogEventsCommand({ logGroupName: `/aws/lambda/${functionName}`, startTime, ...(nextToken ? { nextToken } : {}) }),
    );
    for (const event of page.events ?? []) lines.push((event.message ?? '').trimEnd());
    nextToken = page.nextToken;
  } while (nextToken && lines.length < 5_000);
  return lines;
}

async function control(controlUrl: string, method: 'PUT' | 'DELETE', fault: FaultName): Promise<void> {
  const res = await fetch(`${controlUrl}/__harness/faults/${fault}`, { method });
  if (!res.ok) throw new Error(`${method === 'PUT' ? 'Injecting' : 'Clearing'} fault "${fault}" failed: HTTP ${res.status} ${await res.text()}`);
}
