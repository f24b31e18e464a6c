import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { FunctionModel, MountModel, PatternModel } from '../model/assembly.ts';
import type { CdkCommand } from '../model/cdk.ts';
import type { EmulatorApi } from '../targets/localstack/emulator-api.ts';

/**
 * Test doubles shared by the LocalStack unit tests: a pattern model shaped like the synthesized one (without
 * paying for a synthesis) and an emulator API that answers like a LocalStack holding the deployed stack.
 */

/**
 * LocalStack's GET /_localstack/health: `{"services": {<name>: <ServiceState>}, "edition", "version"}`
 * (localstack/localstack@8b9a79f0, localstack-core/localstack/services/internal.py `HealthResource.on_get`; states
 * from services/plugins.py `ServiceState`: available, running, disabled, …). Edition and version as a 2026 image
 * names them. Shared by the detection, doctor and fake-LocalStack tests.
 */
export function localstackHealth(services: Readonly<Record<string, string>>): string {
  return JSON.stringify({ services, edition: 'pro', version: '2026.8.0' });
}

/** Health answers of the emulators the tests meet. */
export const HEALTH_BODIES = {
  /** Every service this pattern uses, the EFS API included (Ultimate). */
  localstackAll: localstackHealth({ cloudformation: 'available', lambda: 'running', apigatewayv2: 'available', efs: 'available', s3: 'running', iam: 'available' }),
  /** HTTP APIs outside the plan (Hobby). */
  localstackWithoutHttpApis: localstackHealth({ cloudformation: 'available', lambda: 'available', apigatewayv2: 'disabled', s3: 'available' }),
  /** Base: no efs in the map (fine: the EFS API itself decides bridge-only). */
  localstackBase: localstackHealth({ cloudformation: 'available', lambda: 'running', apigatewayv2: 'available', s3: 'running' }),
  /** fakecloud's GET /_fakecloud/health (faiscadev/fakecloud@8ac2d3aa, crates/fakecloud-sdk/src/types.rs `HealthResponse`, route in crates/fakecloud-server/src/main.rs). */
  fakecloud: JSON.stringify({ status: 'ok', version: '0.9.1', services: ['s3', 'lambda', 'cloudformation', 'apigatewayv2'] }),
} as const;

export const MOUNT: MountModel = {
  mountPath: '/mnt/msg',
  accessPointLogicalId: 'AccessPointE936DE82',
  fileSystemLogicalId: 'MyFileSystem8A1B2C3D',
  rootPath: '/lambda',
  posixUid: 1001,
  posixGid: 1001,
  ownerUid: 1001,
  ownerGid: 1001,
  permissions: '750',
};

export function fakeModel(overrides: { stackName?: string; hash?: string; assemblyDir?: string; mount?: MountModel } = {}): PatternModel {
  const stackName = overrides.stackName ?? 'HelloVpcLambda';
  const fn: FunctionModel = {
    logicalId: 'HelloFunctionD909AE8C',
    functionName: `${stackName}-myHelloVPCLambda`,
    handler: 'index.handler',
    runtime: 'nodejs24.x',
    timeoutSeconds: 10,
    memoryMb: 256, ephemeralStorageMb: 512,
    environment: { EFS_MOUNT_PATH: '/mnt/msg' },
    assetDir: '/nonexistent/asset',
    mount: overrides.mount ?? MOUNT,
  };
  const routes = ['ANY /myHelloVPCLambda', 'GET /health', 'GET /messages', 'GET /messages/{id}', 'POST /messages'].map((routeKey) => {
    const [method = '', path = ''] = routeKey.split(' ');
    return { routeKey, method, path, functionLogicalId: fn.logicalId, payloadFormatVersion: '2.0' };
  });
  const assemblyDir = overrides.assemblyDir ?? '/tmp/cdk.out';
  return {
    stackName,
    assemblyDir,
    templatePath: `${assemblyDir}/${stackName}.template.json`,
    template: { Resources: {} },
    routes,
    functions: [fn],
    apiFunction: fn,
    hash: overrides.hash ?? 'a'.repeat(64),
  };
}

export const OUTPUTS = {
  ApiId: 'abc123',
  ApiUrl: 'https://abc123.execute-api.localhost.localstack.cloud:4566/',
  FunctionName: 'HelloVpcLambda-myHelloVPCLambda',
  FileSystemId: 'fs-12345678',
  AccessPointId: 'fsap-12345678',
  MountPath: '/mnt/msg',
};

/**
 * A LocalStack with the Ultimate plan holding the deployed stack; override any call to make it lack something.
 * GetFunction reports no mount, as LocalStack's does on every plan (docs/localstack-behaviour.md, A1).
 */
export function fakeApi(overrides: Partial<EmulatorApi> = {}): EmulatorApi & { waited: string[] } {
  const waited: string[] = [];
  return {
    waited,
    describeStack: async () => undefined,
    failedEvents: async () => [],
    functionLogs: async () => [],
    httpApi: async () => ({ found: true, routeKeys: fakeModel().routes.map((r) => r.routeKey) }),
    fileSystem: async () => ({ found: true }),
    lambdaFunction: async () => ({ found: true }),
    efsApi: async () => ({ available: true }),
    httpApis: async () => ({ available: true }),
    waitFunctionActive: async (name) => {
      waited.push(name);
    },
    ...overrides,
  };
}

/**
 * A cdklocal that records its commands and, on deploy, writes the outputs file as the CDK CLI does
 * (`{ [stack]: { [output]: value } }`, aws-cdk `--outputs-file`): the outputs the deployed template declares
 * (all of OUTPUTS when the assembly is a fake one without a template file).
 */
export function fakeCdk(fail?: { verb: string; error: Error }, onLine?: string) {
  const commands: CdkCommand[] = [];
  const run = async (cmd: CdkCommand, options?: { onLine?: (line: string) => void }): Promise<string> => {
    commands.push(cmd);
    const verb = cmd.args[1]!;
    if (onLine) options?.onLine?.(`${verb} ${onLine}`);
    if (fail?.verb === verb) throw fail.error;
    if (verb === 'deploy') {
      const stack = cmd.args[2]!;
      const templateFile = path.join(cmd.args[cmd.args.indexOf('--app') + 1]!, `${stack}.template.json`);
      const declared = existsSync(templateFile) ? Object.keys((JSON.parse(readFileSync(templateFile, 'utf8')) as { Outputs?: object }).Outputs ?? {}) : Object.keys(OUTPUTS);
      const outputs = Object.fromEntries(Object.entries(OUTPUTS).filter(([key]) => declared.includes(key)));
      writeFileSync(cmd.args[cmd.args.indexOf('--outputs-file') + 1]!, JSON.stringify({ [stack]: outputs }));
    }
    return '';
  };
  return { run, commands, verbs: () => commands.map((c) => c.args[1]) };
}

/**
 * How LocalStack reads LAMBDA_DOCKER_FLAGS (localstack/localstack@8b9a79f0,
 * localstack-core/localstack/utils/container_utils/container_client.py, parse_additional_flags):
 * Python's shlex.split (POSIX rules), then each -v value matched with this pattern. Ported here so that the
 * tests check what LocalStack will mount, not just a string.
 */
export function shlexSplit(text: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === "'") {
      const end = text.indexOf("'", i + 1);
      word = (word ?? '') + text.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      let j = i + 1;
      let value = '';
      for (; text[j] !== '"'; j++) value += text[j] === '\\' && '"\\$`'.includes(text[j + 1]!) ? text[++j] : text[j];
      word = (word ?? '') + value;
      i = j;
    } else if (c === '\\') {
      word = (word ?? '') + text[++i];
    } else if (/\s/.test(c)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else {
      word = (word ?? '') + c;
    }
  }
  if (word !== undefined) words.push(word);
  return words;
}
