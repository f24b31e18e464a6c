import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { HttpApiEvent } from './types.ts';

/**
 * Test helpers shared by the handler's test files: a real temporary mount and payload 2.0 events.
 * The mount is a subfolder of a temporary folder, so tests can remove it, or replace it with a file, and
 * still clean up everything.
 */

export interface TempMount {
  /** The temporary folder that holds the mount (and whatever a test puts next to it). */
  readonly root: string;
  /** The folder `EFS_MOUNT_PATH` points to; it exists when the test starts. */
  readonly mountPath: string;
  readonly remove: () => Promise<void>;
}

export async function createTempMount(): Promise<TempMount> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'handler-test-'));
  const mountPath = path.join(root, 'mnt');
  await mkdir(mountPath);
  return { root, mountPath, remove: () => rm(root, { recursive: true, force: true }) };
}

/**
 * An event as an HTTP API sends it for `routeKey` (`METHOD /path`, `{id}` filled from `pathParameters`): rawPath keeps
 * the percent-encoding, pathParameters are decoded, requestContext.http.method is the request's real method even on
 * an ANY route. Source: https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
 * (payload format 2.0 example: its time and timeEpoch values) and http-api-develop-routes.html (decoded parameters).
 */
export function httpEvent(
  routeKey: string,
  options: { body?: string; isBase64Encoded?: boolean; pathParameters?: Record<string, string>; query?: Record<string, string> } = {},
): HttpApiEvent {
  const [method = 'GET', routePath = '/'] = routeKey.split(' ');
  const rawPath = routePath.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(options.pathParameters?.[name] ?? ''));
  return {
    version: '2.0',
    routeKey,
    rawPath,
    rawQueryString: new URLSearchParams(options.query).toString(),
    headers: { 'content-type': options.isBase64Encoded ? 'application/octet-stream' : 'application/json' },
    requestContext: {
      accountId: '123456789012',
      apiId: 'api1234567',
      domainName: 'api1234567.execute-api.us-east-1.amazonaws.com',
      domainPrefix: 'api1234567',
      http: { method: method === 'ANY' ? 'GET' : method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '192.0.2.1', userAgent: 'vitest' },
      requestId: 'request-id',
      routeKey,
      stage: '$default',
      time: '12/Mar/2020:19:03:58 +0000',
      timeEpoch: 1583348638390,
    },
    ...(options.pathParameters ? { pathParameters: options.pathParameters } : {}),
    ...(options.query ? { queryStringParameters: options.query } : {}),
    ...(options.body !== undefined ? { body: options.body } : {}),
    isBase64Encoded: options.isBase64Encoded ?? false,
  };
}

/**
 * Everything under `dir` (relative path → kind, mode, size, mtime and content or link target), to prove that
 * nothing changed. Symlinks are recorded, not followed.
 */
export async function snapshotTree(dir: string): Promise<Record<string, string>> {
  const snapshot: Record<string, string> = {};
  const walk = async (relative: string): Promise<void> => {
    for (const name of await readdir(path.join(dir, relative))) {
      const entry = path.join(relative, name);
      const full = path.join(dir, entry);
      const info = await lstat(full);
      const common = `mode=${info.mode.toString(8)} mtime=${info.mtimeMs}`;
      if (info.isSymbolicLink()) snapshot[entry] = `link -> ${await readlink(full)}`;
      else if (info.isDirectory()) {
        snapshot[entry] = `dir ${common}`;
        await walk(entry);
      } else snapshot[entry] = `file ${common} ${(await readFile(full)).toString('base64')}`;
    }
  };
  await walk('');
  return snapshot;
}
