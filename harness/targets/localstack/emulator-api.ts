import { CloudFormationClient, DescribeStackEventsCommand, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { GetFunctionCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { waitUntilActive } from '../aws/api.ts';
import { cloudWatchLogs } from '../../launch/connect.ts';

/**
 * The few calls the deploy flow makes to the emulator, behind one small interface so that the flow is
 * tested with a fake. CloudFormation, Lambda and CloudWatch Logs go through the AWS SDK; HTTP APIs and EFS
 * (whose SDK clients this project does not install) through their REST paths.
 */

export const ASSEMBLY_HASH_TAG = 'harness:assembly-hash';

export interface DeployedStack {
  readonly status: string;
  /** The `harness:assembly-hash` tag: the hash of the template it was deployed from. */
  readonly hash?: string;
  readonly outputs: Readonly<Record<string, string>>;
}

export interface Lookup {
  readonly found: boolean;
  /** Why not, as the service said it. */
  readonly detail?: string;
}

/**
 * Whether a service's API serves requests, from a harmless list call. A service outside the plan answers
 * HTTP 501 `InternalFailure` ("Sorry, the efs service is not included within your LocalStack license, ...":
 * localstack/localstack@8b9a79f0, localstack-core/localstack/aws/catalog_exceptions.py and
 * aws/handlers/service.py `create_exception_response`); how the 2026 image's health map shows such a service
 * is not documented, so the call decides.
 */
export type ServiceProbe = { readonly available: true } | { readonly available: false; readonly detail: string };

export interface EmulatorApi {
  /** The stack, or undefined when there is none (or only a deleted one). */
  describeStack(stackName: string): Promise<DeployedStack | undefined>;
  /** `<logical id> (<type>) <status>: <reason>` of every *_FAILED event, oldest first. */
  failedEvents(stackName: string): Promise<string[]>;
  /** The function's latest log lines. */
  functionLogs(functionName: string, limit: number): Promise<string[]>;
  httpApi(apiId: string): Promise<Lookup & { readonly routeKeys: readonly string[] }>;
  fileSystem(fileSystemId: string): Promise<Lookup>;
  /**
   * Whether the function exists. Not its mount: LocalStack's CloudFormation never passes FileSystemConfigs to
   * CreateFunction and its Lambda model does not keep them (docs/localstack-behaviour.md), so GetFunction
   * shows no mount on any plan. The mount is proven by behaviour instead (health-proof.ts).
   */
  lambdaFunction(functionName: string): Promise<Lookup>;
  /** EFS `DescribeFileSystems`: is the EFS API in this LocalStack's plan (Ultimate)? */
  efsApi(): Promise<ServiceProbe>;
  /** apigatewayv2 `GetApis`: are HTTP APIs in this LocalStack's plan (Base)? */
  httpApis(): Promise<ServiceProbe>;
  /** Resolves once the function is `Active`; rejects with its state and reason otherwise. */
  waitFunctionActive(functionName: string, maxWaitSeconds: number): Promise<void>;
}

/** Emulators accept any credentials; these are LocalStack's documented dummies. */
const CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };

export function emulatorApi(endpoint: string, region: string): EmulatorApi {
  const config = { endpoint, region, credentials: CREDENTIALS };
  const cloudFormation = new CloudFormationClient(config);
  const lambda = new LambdaClient(config);
  const logs = new CloudWatchLogsClient(config);
  const rest = restClient(endpoint, region);

  return {
    describeStack: async (stackName) => {
      try {
        const { Stacks } = await cloudFormation.send(new DescribeStacksCommand({ StackName: stackName }));
        const stack = Stacks?.[0];
        if (!stack || stack.StackStatus === 'DELETE_COMPLETE') return undefined;
        const hash = stack.Tags?.find((t) => t.Key === ASSEMBLY_HASH_TAG)?.Value;
        return {
          status: stack.StackStatus ?? 'UNKNOWN',
          ...(hash ? { hash } : {}),
          outputs: Object.fromEntries((stack.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? ''])),
        };
      } catch (error) {
        if (/does not exist/i.test((error as Error).message)) return undefined;
        throw error;
      }
    },
    failedEvents: async (stackName) => {
      const { StackEvents } = await cloudFormation.send(new DescribeStackEventsCommand({ StackName: stackName }));
      return (StackEvents ?? [])
        .filter((e) => e.ResourceStatus?.endsWith('_FAILED'))
        .reverse()
        .map((e) => `${e.LogicalResourceId} (${e.ResourceType}) ${e.ResourceStatus}: ${e.ResourceStatusReason ?? 'no reason given'}`);
    },
    functionLogs: async (functionName, limit) => {
      try {
        return (await cloudWatchLogs(logs, functionName)).slice(-limit);
      } catch (error) {
        if ((error as Error).name === 'ResourceNotFoundException') return [];
        throw error;
      }
    },
    httpApi: async (apiId) => {
      const api = await rest.get('apigateway', `/v2/apis/${encodeURIComponent(apiId)}`);
      if (!api.ok) return { found: false, detail: api.detail, routeKeys: [] };
      const routes = await rest.get('apigateway', `/v2/apis/${encodeURIComponent(apiId)}/routes`);
      const items = routes.ok ? ((routes.json as { items?: { routeKey?: string }[] }).items ?? []) : [];
      return { found: true, routeKeys: items.map((r) => r.routeKey ?? '').filter(Boolean) };
    },
    fileSystem: async (fileSystemId) => {
      const res = await rest.get('elasticfilesystem', `/2015-02-01/file-systems?FileSystemId=${encodeURIComponent(fileSystemId)}`);
      const found = res.ok && ((res.json as { FileSystems?: unknown[] }).FileSystems?.length ?? 0) > 0;
      return found ? { found } : { found, detail: res.detail ?? 'not listed' };
    },
    lambdaFunction: async (functionName) => {
      try {
        await lambda.send(new GetFunctionCommand({ FunctionName: functionName }));
        return { found: true };
      } catch (error) {
        return { found: false, detail: `${(error as Error).name}: ${(error as Error).message}` };
      }
    },
    efsApi: () => probeService(rest, 'elasticfilesystem', '/2015-02-01/file-systems', 'DescribeFileSystems'),
    httpApis: () => probeService(rest, 'apigateway', '/v2/apis', 'GetApis'),
    waitFunctionActive: async (functionName, maxWaitSeconds) => {
      const outcome = await waitUntilActive(lambda, functionName, { maxWaitSeconds, minDelay: 1, maxDelay: 5 });
      if (!outcome.ok) throw new Error(`Function ${functionName} did not become Active within ${maxWaitSeconds} s: ${outcome.detail}.`);
    },
  };
}

/** A service answers its list call with 2xx; any HTTP error is its answer; no HTTP answer at all rejects. */
async function probeService(rest: RestClient, service: string, path: string, operation: string): Promise<ServiceProbe> {
  const res = await rest.get(service, path);
  if (res.ok) return { available: true };
  if (res.status === undefined) throw new Error(`${operation} got no answer from the emulator: ${res.detail}`);
  return { available: false, detail: `${operation} answered ${res.detail}` };
}

interface RestAnswer {
  readonly ok: boolean;
  /** Absent when no HTTP answer came back. */
  readonly status?: number;
  readonly json?: unknown;
  readonly detail?: string;
}

/**
 * GETs on REST-JSON APIs without their SDK clients. LocalStack picks the service from the signing name in the
 * Authorization header (`apigateway` + `/v2/...` is apigatewayv2) and does not check the signature, so a
 * well-formed header with a dummy signature is enough; no secret is involved.
 */
interface RestClient {
  get(service: string, path: string): Promise<RestAnswer>;
}

export function restClient(endpoint: string, region: string, timeoutMs = 10_000): RestClient {
  const base = endpoint.replace(/\/+$/, '');
  return {
    get: async (service, path) => {
      const now = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
      const headers = {
        'x-amz-date': now,
        authorization: `AWS4-HMAC-SHA256 Credential=test/${now.slice(0, 8)}/${region}/${service}/aws4_request, SignedHeaders=host;x-amz-date, Signature=${'0'.repeat(64)}`,
      };
      try {
        const res = await fetch(`${base}${path}`, { headers, signal: AbortSignal.timeout(timeoutMs) });
        const body = await res.text();
        if (!res.ok) return { ok: false, status: res.status, detail: `HTTP ${res.status} ${body.slice(0, 300)}` };
        return { ok: true, status: res.status, json: body ? JSON.parse(body) : {} };
      } catch (error) {
        return { ok: false, detail: (error as Error).message };
      }
    },
  };
}
