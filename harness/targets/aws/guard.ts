import { redact } from '../../core/redact.ts';

/**
 * The aws target and the sweep create and delete real, billed resources, so they run only in the account a
 * person named for it (`HARNESS_AWS_ACCOUNT`, checked against the credentials with STS) and only in a region
 * named in the environment: never in whatever account a stray profile points at, never in a default region.
 */

export interface CallerIdentity {
  readonly account: string;
  /** The principal, shown when the account is the wrong one so that a person sees which credentials were used. */
  readonly arn: string;
}

/** Where the harness may work: the checked account and the explicit region. */
export interface AwsAccess {
  readonly account: string;
  readonly region: string;
}

/** STS GetCallerIdentity in a region (the default credential chain); injected so tests need no AWS. */
export type GetCallerIdentity = (region: string) => Promise<CallerIdentity>;

/**
 * Region names of every AWS partition: the `regionRegex` of each partition in the AWS SDK's partition table
 * (@aws-sdk/core 3.981, `submodules/client/util-endpoints/lib/aws/partitions.js`: aws, aws-cn, aws-us-gov,
 * aws-iso, aws-iso-b, aws-iso-e, aws-iso-f, aws-eusc). A region launched later in one of them matches too.
 */
const REGION_PATTERNS = [
  /^(us|eu|ap|sa|ca|me|af|il|mx)-\w+-\d+$/,
  /^cn-\w+-\d+$/,
  /^us-gov-\w+-\d+$/,
  /^us-iso-\w+-\d+$/,
  /^us-isob-\w+-\d+$/,
  /^eu-isoe-\w+-\d+$/,
  /^us-isof-\w+-\d+$/,
  /^eusc-(de)-\w+-\d+$/,
];

/**
 * Regions where Lambda cannot mount EFS: "Amazon EFS for Lambda is available in all commercial Regions except
 * Asia Pacific (New Zealand), Asia Pacific (Taipei), Asia Pacific (Malaysia), Mexico (Central), Asia Pacific
 * (Thailand), and Canada West (Calgary)" (Lambda docs, "Configuring file system access for Lambda
 * functions", Supported Regions). Codes from the SDK's partition table above.
 */
export const REGIONS_WITHOUT_EFS_FOR_LAMBDA: Readonly<Record<string, string>> = {
  'ap-southeast-6': 'Asia Pacific (New Zealand)',
  'ap-east-2': 'Asia Pacific (Taipei)',
  'ap-southeast-5': 'Asia Pacific (Malaysia)',
  'mx-central-1': 'Mexico (Central)',
  'ap-southeast-7': 'Asia Pacific (Thailand)',
  'ca-west-1': 'Canada West (Calgary)',
};

/** The region from AWS_REGION or AWS_DEFAULT_REGION; a profile's region does not count (no silent default). */
export function explicitRegion(env: NodeJS.ProcessEnv): string {
  const region = env.AWS_REGION?.trim();
  const fallback = env.AWS_DEFAULT_REGION?.trim();
  if (region && fallback && region !== fallback) {
    // The SDK reads AWS_REGION, some tools AWS_DEFAULT_REGION: disagreeing values would split a run over two regions.
    throw new Error(`AWS_REGION=${region} and AWS_DEFAULT_REGION=${fallback} disagree: set one of them, or both to the same region.`);
  }
  const chosen = region || fallback;
  if (!chosen) {
    throw new Error(
      `no AWS region: set AWS_REGION (for example AWS_REGION=eu-west-1). ` +
        "The harness never falls back to a default region or a profile's region: it works exactly where the environment says.",
    );
  }
  const source = region ? 'AWS_REGION' : 'AWS_DEFAULT_REGION';
  if (!REGION_PATTERNS.some((pattern) => pattern.test(chosen))) {
    throw new Error(`"${chosen}" (from ${source}) is not an AWS region name like eu-west-1.`);
  }
  const withoutEfs = REGIONS_WITHOUT_EFS_FOR_LAMBDA[chosen];
  if (withoutEfs) {
    const list = Object.entries(REGIONS_WITHOUT_EFS_FOR_LAMBDA).map(([code, name]) => `${code} ${name}`).join(', ');
    throw new Error(
      `${source}=${chosen} (${withoutEfs}): Lambda cannot mount EFS there, so the stack could never work. ` +
        `Choose another region; Lambda has no EFS in: ${list}.`,
    );
  }
  return chosen;
}

/** HARNESS_AWS_ACCOUNT, which must be a 12-digit account id. */
export function expectedAccount(env: NodeJS.ProcessEnv): string {
  const account = env.HARNESS_AWS_ACCOUNT?.trim();
  if (!account) {
    throw new Error(
      `HARNESS_AWS_ACCOUNT is not set: set it to the 12-digit id of the AWS account meant for test stacks ` +
        '(HARNESS_AWS_ACCOUNT=123456789012). Stacks are deployed and deleted only in the account named there.',
    );
  }
  if (!/^\d{12}$/.test(account)) {
    throw new Error(`HARNESS_AWS_ACCOUNT="${account}" is not an AWS account id: set the 12 digits, like HARNESS_AWS_ACCOUNT=123456789012.`);
  }
  return account;
}

/**
 * Checks the settings, then asks STS whose credentials the default chain found. Resolves with the account
 * and region to work in; rejects with what to set or fix. Never prints credentials.
 */
export async function checkAwsAccess(
  env: NodeJS.ProcessEnv,
  getCallerIdentity: GetCallerIdentity,
  who: string = 'The aws target',
): Promise<AwsAccess> {
  const refuse = (reason: string, cause?: unknown) => new Error(redact(`${who} refuses to run: ${reason}`, env), { cause });
  let account: string;
  let region: string;
  try {
    account = expectedAccount(env);
    region = explicitRegion(env);
  } catch (error) {
    throw refuse((error as Error).message);
  }
  let identity: CallerIdentity;
  try {
    identity = await getCallerIdentity(region);
  } catch (error) {
    throw refuse(explainStsFailure(error, region, env), error);
  }
  if (identity.account !== account) {
    throw refuse(
      `HARNESS_AWS_ACCOUNT=${account}, but the credentials found (${identity.arn}) belong to account ${identity.account}. ` +
        `Use credentials for ${account} (AWS_PROFILE=…, or the CI role of that account), or set HARNESS_AWS_ACCOUNT=${identity.account} ` +
        'if that account is the one meant for test stacks.',
    );
  }
  return { account, region };
}

/** What a failed GetCallerIdentity means for the person running the harness, and what to do. */
export function explainStsFailure(error: unknown, region: string, env: NodeJS.ProcessEnv): string {
  const { name = 'Error', message = String(error), code } = (error ?? {}) as { name?: string; message?: string; code?: string };
  const profile = env.AWS_PROFILE ? ` (AWS_PROFILE=${env.AWS_PROFILE})` : '';
  // The credential providers' own message says which provider gave up (an expired SSO session, a missing profile).
  if (name === 'CredentialsProviderError' || name === 'TokenProviderError') {
    return (
      `no AWS credentials found${profile}: configure a profile/SSO/OIDC (for example \`aws configure sso\` and AWS_PROFILE=<profile>, ` +
      'or in GitHub Actions aws-actions/configure-aws-credentials with an OIDC role); the harness uses the default credential chain. ' +
      `The SDK said: ${message}`
    );
  }
  if (/^ExpiredToken/.test(name) || name === 'RequestExpired') {
    return `the AWS credentials${profile} have expired: refresh them (\`aws sso login\`, or assume the role again) and retry.`;
  }
  if (name === 'InvalidClientTokenId' || name === 'SignatureDoesNotMatch' || name === 'UnrecognizedClientException') {
    return `STS rejected the AWS credentials${profile} (${name}): they are wrong or revoked; configure valid ones (profile/SSO/OIDC).`;
  }
  if (code && ['ENOTFOUND', 'EAI_AGAIN', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT'].includes(code)) {
    return `cannot reach STS in ${region} (${code}): check the network or proxy, and that AWS_REGION=${region} is a region you use.`;
  }
  return `STS GetCallerIdentity in ${region} failed (${name}): ${message}`;
}
