import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { SECRET_ENV_NAMES } from '../../core/redact.ts';

/**
 * The whole environment `cdklocal` runs with. aws-cdk-local 3.x (bin/cdklocal, src/index.js) deletes every
 * `AWS_*` variable except `AWS_ENDPOINT_URL*` and those named in `AWS_ENVAR_ALLOWLIST`, refuses
 * `AWS_ENDPOINT_URL` without `AWS_ENDPOINT_URL_S3`, and otherwise points at `localhost.localstack.cloud:4566`
 * (a DNS name, and the wrong port for a mapped container). So both endpoints are set to the emulator's URL,
 * and the region and the dummy credentials are allow-listed so that what we pass is what it uses.
 *
 * S3 needs path-style URLs: with a custom endpoint whose host is a name, the SDK's S3 endpoint rules put the
 * bucket into the host (`<bucket>.localhost`, `<bucket>.localstack` in compose), which need not resolve. With
 * an IP literal the same rules use path style (`http://127.0.0.1:4566/<bucket>`), so the S3 endpoint gets the
 * host's address (`s3EndpointFor`). aws-cdk-local 3.0.4 also has an AWS_S3_FORCE_PATH_STYLE switch, but it
 * reads it wrongly (`isEnvTrue(process.env.AWS_S3_FORCE_PATH_STYLE)` looks up a variable named by the value),
 * so it is set too, for when that is fixed, and not relied on.
 */

/** Allow-listed through cdklocal's filter (everything else `AWS_*` it deletes). */
export const CDKLOCAL_ALLOWLIST = ['AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_S3_FORCE_PATH_STYLE'] as const;

export interface CdklocalEnvOptions {
  /** The emulator's edge URL, e.g. `http://localhost:32771`. */
  readonly endpoint: string;
  /** The same with an IP literal for a host (`s3EndpointFor`). @default endpoint */
  readonly s3Endpoint?: string;
  readonly region: string;
  /** The harness's environment: PATH, HOME and the like come from here; AWS and LocalStack settings do not. */
  readonly base: NodeJS.ProcessEnv;
}

export function cdklocalEnvironment(options: CdklocalEnvOptions): NodeJS.ProcessEnv {
  const endpoint = options.endpoint.replace(/\/+$/, '');
  const secrets = new Set<string>(SECRET_ENV_NAMES);
  const inherited = Object.fromEntries(
    Object.entries(options.base).filter(
      // The user's own AWS profile or keys must not reach a deploy meant for the emulator; the LocalStack
      // token is for the container only; cdklocal's own knobs (EDGE_PORT, LOCALSTACK_HOSTNAME, ...) would
      // override the endpoint set here.
      ([name]) => !name.startsWith('AWS_') && !name.startsWith('LOCALSTACK_') && !secrets.has(name) && !CDKLOCAL_KNOBS.has(name),
    ),
  );
  return {
    ...inherited,
    AWS_ENDPOINT_URL: endpoint,
    AWS_ENDPOINT_URL_S3: (options.s3Endpoint ?? endpoint).replace(/\/+$/, ''),
    AWS_ENVAR_ALLOWLIST: CDKLOCAL_ALLOWLIST.join(','),
    AWS_REGION: options.region,
    AWS_DEFAULT_REGION: options.region,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_S3_FORCE_PATH_STYLE: 'true',
    // No calls home from a test run (the CLI's telemetry and version check).
    CDK_DISABLE_CLI_TELEMETRY: 'true',
    CDK_DISABLE_VERSION_CHECK: 'true',
  };
}

/** Variables aws-cdk-local reads that would change where or how it deploys. */
const CDKLOCAL_KNOBS = new Set(['EDGE_PORT', 'USE_SSL', 'LAMBDA_MOUNT_CODE', 'BUCKET_MARKER_LOCAL']);

export type Lookup = (hostname: string, options: { family: 0 | 4 | 6 }) => Promise<{ address: string; family: number }>;

/**
 * The endpoint with its host replaced by an IP address (IPv4 first: Docker publishes ports on IPv4 everywhere),
 * so that S3 requests use path style and need no DNS name per bucket. An IP literal is returned as it is.
 */
export async function s3EndpointFor(endpoint: string, lookup: Lookup = dnsLookup as Lookup): Promise<string> {
  const url = new URL(endpoint);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host)) return endpoint.replace(/\/+$/, '');
  let address: { address: string; family: number };
  try {
    address = await lookup(host, { family: 4 }).catch(() => lookup(host, { family: 0 }));
  } catch (error) {
    throw new Error(`Cannot resolve ${host} (from the emulator endpoint ${url.origin}): ${(error as Error).message}`);
  }
  url.hostname = address.family === 6 ? `[${address.address}]` : address.address;
  return url.origin;
}

