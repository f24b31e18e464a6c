import { describe, expect, it, vi } from 'vitest';
import { checkAwsAccess, type GetCallerIdentity } from './guard.ts';

const ACCOUNT = '123456789012';
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const env = { HARNESS_AWS_ACCOUNT: ACCOUNT, AWS_REGION: 'eu-west-1', AWS_SECRET_ACCESS_KEY: SECRET };

// STS GetCallerIdentity answers Account and Arn; an assumed role's Arn is arn:aws:sts::<account>:assumed-role/<role>/<session>.
// Source: https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html (Examples).
const identity = (account = ACCOUNT): GetCallerIdentity => vi.fn(async () => ({ account, arn: `arn:aws:sts::${account}:assumed-role/ci/run` }));
const failing = (error: Error & { code?: string }): GetCallerIdentity => vi.fn(async () => Promise.reject(error));
// An error the STS model does not list reaches us with the response's Code as `name` (installed @aws-sdk/core 3.981.1,
// dist-cjs/submodules/protocols getErrorSchemaOrThrowBaseException: `new ErrorCtor({ name: errorName })`).
const named = (name: string, message: string, extra: object = {}) => Object.assign(new Error(message), { name }, extra);

describe('checkAwsAccess', () => {
  it('should pass with the account and the explicit region, asking STS in that region', async () => {
    const sts = identity();
    await expect(checkAwsAccess(env, sts)).resolves.toEqual({ account: ACCOUNT, region: 'eu-west-1' });
    expect(sts).toHaveBeenCalledWith('eu-west-1');
  });

  it('should refuse without HARNESS_AWS_ACCOUNT, saying what to set, before asking STS', async () => {
    const sts = identity();
    await expect(checkAwsAccess({ AWS_REGION: 'eu-west-1' }, sts)).rejects.toThrow(
      'The aws target refuses to run: HARNESS_AWS_ACCOUNT is not set: set it to the 12-digit id of the AWS account meant for test stacks',
    );
    expect(sts).not.toHaveBeenCalled();
  });

  it('should refuse an account id that is not 12 digits', async () => {
    await expect(checkAwsAccess({ ...env, HARNESS_AWS_ACCOUNT: '1234-5678-9012' }, identity())).rejects.toThrow(
      'HARNESS_AWS_ACCOUNT="1234-5678-9012" is not an AWS account id: set the 12 digits',
    );
  });

  it('should refuse without a region in the environment, naming AWS_REGION', async () => {
    const sts = identity();
    await expect(checkAwsAccess({ HARNESS_AWS_ACCOUNT: ACCOUNT }, sts)).rejects.toThrow('no AWS region: set AWS_REGION (for example AWS_REGION=eu-west-1)');
    expect(sts).not.toHaveBeenCalled();
  });

  it('should take AWS_DEFAULT_REGION, and refuse when it disagrees with AWS_REGION', async () => {
    await expect(checkAwsAccess({ HARNESS_AWS_ACCOUNT: ACCOUNT, AWS_DEFAULT_REGION: 'us-east-2' }, identity())).resolves.toMatchObject({ region: 'us-east-2' });
    await expect(checkAwsAccess({ ...env, AWS_DEFAULT_REGION: 'us-east-2' }, identity())).rejects.toThrow(
      'AWS_REGION=eu-west-1 and AWS_DEFAULT_REGION=us-east-2 disagree',
    );
    await expect(checkAwsAccess({ ...env, AWS_REGION: 'Ireland' }, identity())).rejects.toThrow('"Ireland" (from AWS_REGION) is not an AWS region name');
  });

  it.each(['eu-west-1', 'us-east-1', 'il-central-1', 'cn-north-1', 'us-gov-west-1', 'us-iso-east-1', 'us-isob-east-1', 'eu-isoe-west-1', 'us-isof-south-1', 'eusc-de-east-1'])(
    'should accept the region name %s (the SDK partition patterns)',
    async (region) => {
      await expect(checkAwsAccess({ ...env, AWS_REGION: region }, identity())).resolves.toMatchObject({ region });
    },
  );

  it.each(['eu-west', 'euwest-1', 'xx-west-1', 'eusc-fr-east-1', 'EU-WEST-1', 'eu-west-1 '])('should refuse %j as a region name', async (region) => {
    // A trailing space is trimmed, so it must pass; every other value here is no region of any partition.
    const result = checkAwsAccess({ ...env, AWS_REGION: region }, identity());
    if (region === 'eu-west-1 ') await expect(result).resolves.toMatchObject({ region: 'eu-west-1' });
    else await expect(result).rejects.toThrow('is not an AWS region name like eu-west-1');
  });

  it.each(['ap-southeast-6', 'ap-east-2', 'ap-southeast-5', 'mx-central-1', 'ap-southeast-7', 'ca-west-1'])(
    'should refuse %s, where Lambda cannot mount EFS, listing every such region, before asking STS',
    async (region) => {
      // Source: https://docs.aws.amazon.com/lambda/latest/dg/configuration-filesystem.html (Supported Regions).
      const sts = identity();
      await expect(checkAwsAccess({ ...env, AWS_REGION: region }, sts)).rejects.toThrow(
        new RegExp(
          `AWS_REGION=${region} \\(.+\\): Lambda cannot mount EFS there, so the stack could never work\\. Choose another region; Lambda has no EFS in: ` +
            'ap-southeast-6 Asia Pacific \\(New Zealand\\), ap-east-2 Asia Pacific \\(Taipei\\), ap-southeast-5 Asia Pacific \\(Malaysia\\), ' +
            'mx-central-1 Mexico \\(Central\\), ap-southeast-7 Asia Pacific \\(Thailand\\), ca-west-1 Canada West \\(Calgary\\)\\.',
        ),
      );
      expect(sts).not.toHaveBeenCalled();
    },
  );

  it('should refuse credentials of another account, naming both accounts and the principal', async () => {
    await expect(checkAwsAccess(env, identity('999999999999'))).rejects.toThrow(
      'HARNESS_AWS_ACCOUNT=123456789012, but the credentials found (arn:aws:sts::999999999999:assumed-role/ci/run) belong to account 999999999999',
    );
  });

  it('should explain missing credentials', async () => {
    // Source: the default chain's last link, github.com/aws/aws-sdk-js-v3 packages/credential-provider-node/src/defaultProvider.ts
    // at e583141a5e3c7c721fb6d0a29dbc66e026c8447d (and @aws-sdk/credential-provider-node 3.972.98 installed here).
    const error = named('CredentialsProviderError', 'Could not load credentials from any providers');
    await expect(checkAwsAccess(env, failing(error))).rejects.toThrow(
      'The aws target refuses to run: no AWS credentials found: configure a profile/SSO/OIDC',
    );
  });

  it('should explain expired and rejected credentials, and an unreachable STS', async () => {
    // STS's codes and messages for GetCallerIdentity, captured in the CLI's and SDKs' output:
    // ExpiredToken https://github.com/aws/aws-cli/issues/7870, InvalidClientTokenId (403, its XML body)
    // https://github.com/aws-azure-login/aws-azure-login/issues/251, Throttling https://github.com/aws/aws-sdk-go-v2/issues/2481.
    const expired = named('ExpiredToken', 'The security token included in the request is expired');
    await expect(checkAwsAccess(env, failing(expired))).rejects.toThrow('have expired: refresh them');
    const invalid = named('InvalidClientTokenId', 'The security token included in the request is invalid');
    await expect(checkAwsAccess(env, failing(invalid))).rejects.toThrow('STS rejected the AWS credentials (InvalidClientTokenId)');
    // Node's DNS failure. Source: https://nodejs.org/api/errors.html#common-system-errors (ENOTFOUND).
    const unreachable = named('Error', 'getaddrinfo ENOTFOUND sts.eu-west-1.amazonaws.com', { code: 'ENOTFOUND' });
    await expect(checkAwsAccess(env, failing(unreachable))).rejects.toThrow('cannot reach STS in eu-west-1 (ENOTFOUND)');
    await expect(checkAwsAccess(env, failing(named('Throttling', 'Rate exceeded')))).rejects.toThrow(
      'STS GetCallerIdentity in eu-west-1 failed (Throttling): Rate exceeded',
    );
  });

  it('should never put a credential into its message', async () => {
    // Not a message the SDK is known to give: a provider's message that quoted a key would still be redacted.
    const error = named('CredentialsProviderError', `profile ci: secret ${SECRET} and key AKIAIOSFODNN7EXAMPLE rejected`);
    const message = await checkAwsAccess(env, failing(error)).catch((e: Error) => e.message);
    expect(message).toContain('no AWS credentials found');
    expect(message).not.toContain(SECRET);
    expect(message).not.toContain('AKIAIOSFODNN7EXAMPLE');
  });

  it('should say who refuses', async () => {
    await expect(checkAwsAccess({}, identity(), 'The sweep')).rejects.toThrow(/^The sweep refuses to run: HARNESS_AWS_ACCOUNT is not set/);
  });
});
