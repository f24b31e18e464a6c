import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CreateAppOptions } from '../../infra/create-app.ts';
import { assemblyKey, restoreAssembly, storeAssembly } from './assembly-cache.ts';
import { PROJECT_ROOT } from '../core/run.ts';

/**
 * Infra is the single source of truth: everything a target needs (routes, the function's handler, asset,
 * environment, timeout, mount path, access point root and POSIX user) is read here from the synthesized
 * template, never repeated as a constant in the harness.
 */

export interface SynthOptions {
  /** Stack name; unique per deployment on shared targets. */
  readonly stackName: string;
  /** Include the read-only inspector function (real AWS only). @default false */
  readonly inspector?: boolean;
  /** Cloud assembly folder. */
  readonly outdir: string;
  /** Binds the stack to one account and region (real AWS). @default - environment-agnostic */
  readonly env?: CreateAppOptions['env'];
  /** Reserved concurrency of the API function. @default - none */
  readonly reservedConcurrency?: number;
  /** Throttling of the `$default` stage. @default - infra's DEFAULT_THROTTLE */
  readonly throttle?: CreateAppOptions['throttle'];
  /** LocalStack hot reloading: the host folder of the functions' code folders (infra's `hotReloadDir`). @default none */
  readonly hotReloadDir?: string;
  /** The project whose `infra/` and `handler/` are synthesized. @default the harness's own project */
  readonly projectRoot?: string;
  /** Keep and reuse assemblies here by the content hash of their inputs (assembly-cache.ts). @default - no cache */
  readonly cacheDir?: string;
}

export interface MountModel {
  /** Where the function sees the file system, e.g. `/mnt/msg`. */
  readonly mountPath: string;
  readonly accessPointLogicalId: string;
  readonly fileSystemLogicalId: string;
  /** The access point's root directory inside the file system, e.g. `/lambda`. */
  readonly rootPath: string;
  readonly posixUid: number;
  readonly posixGid: number;
  /** Owner and mode the access point creates its root with. */
  readonly ownerUid?: number;
  readonly ownerGid?: number;
  readonly permissions?: string;
}

export interface FunctionModel {
  readonly logicalId: string;
  readonly functionName: string;
  /** `file.export`, e.g. `index.handler`. */
  readonly handler: string;
  readonly runtime: string;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  /** `EphemeralStorage.Size`: the size of /tmp in MB (Lambda's default 512). */
  readonly ephemeralStorageMb: number;
  /** Literal environment variables (values that are CloudFormation expressions are left out). */
  readonly environment: Readonly<Record<string, string>>;
  /** Absolute path of the bundled code in the cloud assembly: the very bytes CDK deploys. */
  readonly assetDir: string;
  readonly mount?: MountModel;
}

export interface RouteModel {
  /** As in the template, e.g. `GET /messages/{id}` or `ANY /myHelloVPCLambda`. */
  readonly routeKey: string;
  readonly method: string;
  readonly path: string;
  readonly functionLogicalId: string;
  readonly payloadFormatVersion: string;
}

export interface PatternModel {
  readonly stackName: string;
  readonly assemblyDir: string;
  readonly templatePath: string;
  readonly template: CfnTemplate;
  readonly routes: readonly RouteModel[];
  readonly functions: readonly FunctionModel[];
  /** The function behind the HTTP API's routes. */
  readonly apiFunction: FunctionModel;
  /** The read-only inspector, when synthesized with `inspector: true`. */
  readonly inspectorFunction?: FunctionModel;
  /** Content hash of the template (which names every asset by its hash): equal hashes, equal deployments. */
  readonly hash: string;
  /** True when the assembly came from the warm-start cache instead of a synthesis. */
  readonly cached?: boolean;
}

export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly Metadata?: Record<string, unknown>;
  readonly DependsOn?: string | string[];
}

export interface CfnTemplate {
  readonly Resources: Record<string, CfnResource>;
  readonly Outputs?: Record<string, { Value: unknown }>;
}

/**
 * Synthesizes the app in-process (bundling with the local esbuild, no Docker) and reads its model. With a
 * cache folder, an assembly synthesized before from the same inputs is copied instead.
 */
export async function synthesize(options: SynthOptions): Promise<PatternModel> {
  const projectRoot = options.projectRoot ?? PROJECT_ROOT;
  const appOptions = {
    stackName: options.stackName,
    inspector: options.inspector ?? false,
    ...(options.hotReloadDir ? { hotReloadDir: options.hotReloadDir } : {}),
    ...(options.env ? { env: options.env } : {}),
    ...(options.throttle ? { throttle: options.throttle } : {}),
    ...(options.reservedConcurrency === undefined ? {} : { reservedConcurrency: options.reservedConcurrency }),
  };
  const key = options.cacheDir ? assemblyKey({ projectRoot, options: appOptions, env: process.env }) : undefined;
  if (options.cacheDir && key && restoreAssembly(options.cacheDir, key, options.outdir)) {
    return { ...readModel(options.outdir, options.stackName), cached: true };
  }
  // Imported lazily: loading aws-cdk-lib costs a second and only synthesis needs it.
  const { createApp } = (await import(pathToFileURL(path.join(projectRoot, 'infra', 'create-app.ts')).href)) as typeof import('../../infra/create-app.ts');
  const { app } = createApp({ outdir: options.outdir, ...appOptions });
  app.synth();
  const model = readModel(options.outdir, options.stackName);
  if (options.cacheDir && key) {
    try {
      storeAssembly(options.cacheDir, key, options.outdir);
    } catch {
      // The cache only saves time: a start never fails because its entry could not be written.
    }
  }
  return model;
}

/** Reads the model from an already synthesized cloud assembly. */
export function readModel(assemblyDir: string, stackName: string): PatternModel {
  const templatePath = path.join(assemblyDir, `${stackName}.template.json`);
  if (!existsSync(templatePath)) {
    throw new Error(`No template for stack "${stackName}" in ${assemblyDir}: synthesize the app first (npm run synth).`);
  }
  const raw = readFileSync(templatePath, 'utf8');
  const template = JSON.parse(raw) as CfnTemplate;
  const resources = template.Resources;

  const functions = Object.entries(resources)
    .filter(([, r]) => r.Type === 'AWS::Lambda::Function')
    .map(([logicalId, r]) => readFunction(assemblyDir, stackName, resources, logicalId, r));
  const routes = readRoutes(resources);
  const apiFunctionIds = new Set(routes.map((r) => r.functionLogicalId));
  const [apiFunctionId, ...others] = apiFunctionIds;
  if (apiFunctionId === undefined || others.length > 0) {
    throw new Error(`Expected the HTTP API's routes to share one function in ${templatePath}, found ${apiFunctionIds.size}.`);
  }
  const apiFunction = functions.find((f) => f.logicalId === apiFunctionId);
  if (!apiFunction) throw new Error(`Route target ${apiFunctionId} is not a function in ${templatePath}.`);
  const inspectorFunction = functions.find((f) => f !== apiFunction && !apiFunctionIds.has(f.logicalId) && f.mount);

  return {
    stackName,
    assemblyDir,
    templatePath,
    template,
    routes,
    functions,
    apiFunction,
    ...(inspectorFunction ? { inspectorFunction } : {}),
    hash: createHash('sha256').update(raw).digest('hex'),
  };
}

function readRoutes(resources: Record<string, CfnResource>): RouteModel[] {
  return Object.values(resources)
    .filter((r) => r.Type === 'AWS::ApiGatewayV2::Route')
    .map((route) => {
      const routeKey = str(route.Properties?.RouteKey, 'Route.RouteKey');
      const rawTarget = route.Properties?.Target;
      const target = str(typeof rawTarget === 'string' ? rawTarget : joinedTarget(rawTarget), `target of "${routeKey}"`);
      const integrationId = target.replace(/^integrations\//, '');
      const integration = resources[integrationId];
      if (integration?.Type !== 'AWS::ApiGatewayV2::Integration') {
        throw new Error(`Route "${routeKey}" targets ${integrationId}, which is not an integration.`);
      }
      const [method = '', routePath = ''] = routeKey.split(' ');
      return {
        routeKey,
        method,
        path: routePath,
        functionLogicalId: getAttTarget(integration.Properties?.IntegrationUri, `integration of "${routeKey}"`),
        payloadFormatVersion: String(integration.Properties?.PayloadFormatVersion ?? '1.0'),
      };
    })
    .sort((a, b) => a.routeKey.localeCompare(b.routeKey));
}

// CDK writes a route's target as {"Fn::Join": ["", ["integrations/", {"Ref": "<integration>"}]]}.
function joinedTarget(target: unknown): string | undefined {
  const parts = (target as { 'Fn::Join'?: [string, unknown[]] } | undefined)?.['Fn::Join']?.[1];
  if (!Array.isArray(parts)) return undefined;
  return parts.map((p) => (typeof p === 'string' ? p : refTarget(p, 'route target'))).join('');
}

function readFunction(
  assemblyDir: string,
  stackName: string,
  resources: Record<string, CfnResource>,
  logicalId: string,
  resource: CfnResource,
): FunctionModel {
  const props = resource.Properties ?? {};
  const variables = ((props.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {}) as Record<string, unknown>;
  const environment = Object.fromEntries(
    Object.entries(variables).filter((e): e is [string, string] => typeof e[1] === 'string'),
  );
  const mountConfig = (props.FileSystemConfigs as { Arn: unknown; LocalMountPath: string }[] | undefined)?.[0];
  return {
    logicalId,
    functionName: str(props.FunctionName, `${logicalId}.FunctionName`),
    handler: str(props.Handler, `${logicalId}.Handler`),
    runtime: str(props.Runtime, `${logicalId}.Runtime`),
    timeoutSeconds: Number(props.Timeout ?? 3),
    memoryMb: Number(props.MemorySize ?? 128),
    ephemeralStorageMb: Number((props.EphemeralStorage as { Size?: unknown } | undefined)?.Size ?? 512),
    environment,
    assetDir: assetDir(assemblyDir, stackName, logicalId, resource),
    ...(mountConfig ? { mount: readMount(resources, mountConfig) } : {}),
  };
}

function readMount(resources: Record<string, CfnResource>, config: { Arn: unknown; LocalMountPath: string }): MountModel {
  const accessPointLogicalId = getAttTarget(config.Arn, 'FileSystemConfigs.Arn');
  const ap = resources[accessPointLogicalId]?.Properties ?? {};
  const root = (ap.RootDirectory ?? {}) as { Path?: string; CreationInfo?: { OwnerUid: string; OwnerGid: string; Permissions: string } };
  const posix = (ap.PosixUser ?? {}) as { Uid?: string; Gid?: string };
  const creation = root.CreationInfo;
  return {
    mountPath: config.LocalMountPath,
    accessPointLogicalId,
    fileSystemLogicalId: refTarget(ap.FileSystemId, `${accessPointLogicalId}.FileSystemId`),
    rootPath: root.Path ?? '/',
    posixUid: Number(posix.Uid ?? 0),
    posixGid: Number(posix.Gid ?? 0),
    ...(creation
      ? { ownerUid: Number(creation.OwnerUid), ownerGid: Number(creation.OwnerGid), permissions: creation.Permissions }
      : {}),
  };
}

/** The folder holding the function's bundled code, from asset metadata or else the assets manifest. */
function assetDir(assemblyDir: string, stackName: string, logicalId: string, resource: CfnResource): string {
  const fromMetadata = resource.Metadata?.['aws:asset:path'];
  if (typeof fromMetadata === 'string') return path.resolve(assemblyDir, fromMetadata);
  const s3Key = (resource.Properties?.Code as { S3Key?: unknown } | undefined)?.S3Key;
  const manifestPath = path.join(assemblyDir, `${stackName}.assets.json`);
  if (typeof s3Key === 'string' && existsSync(manifestPath)) {
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { files?: Record<string, { source: { path: string } }> };
    const source = manifest.files?.[s3Key.replace(/\.zip$/, '')]?.source.path;
    if (source) return path.resolve(assemblyDir, source);
  }
  throw new Error(`Cannot find the bundled code of ${logicalId} in ${assemblyDir} (no asset metadata, no assets manifest entry).`);
}

function str(value: unknown, what: string): string {
  if (typeof value !== 'string') throw new Error(`Expected ${what} to be a string in the template, got ${JSON.stringify(value)}.`);
  return value;
}

function getAttTarget(value: unknown, what: string): string {
  const getAtt = (value as { 'Fn::GetAtt'?: [string, string] } | undefined)?.['Fn::GetAtt'];
  if (getAtt) return getAtt[0];
  // IntegrationUri may be the function ARN joined from parts; accept the first GetAtt inside.
  const parts = (value as { 'Fn::Join'?: [string, unknown[]] } | undefined)?.['Fn::Join']?.[1];
  // An ARN may also be joined around a Ref to the resource (access points are).
  const inner = parts?.find((p): p is Record<string, unknown> => {
    if (typeof p !== 'object' || p === null) return false;
    const ref = (p as { Ref?: unknown }).Ref;
    return 'Fn::GetAtt' in p || (typeof ref === 'string' && !ref.startsWith('AWS::'));
  });
  if (inner) return 'Ref' in inner ? refTarget(inner, what) : getAttTarget(inner, what);
  throw new Error(`Expected ${what} to reference a resource with Fn::GetAtt, got ${JSON.stringify(value)}.`);
}

function refTarget(value: unknown, what: string): string {
  const ref = (value as { Ref?: unknown } | undefined)?.Ref;
  if (typeof ref === 'string') return ref;
  throw new Error(`Expected ${what} to be a Ref, got ${JSON.stringify(value)}.`);
}
