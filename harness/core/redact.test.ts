// The shapes masked here are documented ones. AWS access key ids start with AKIA (long-term keys) or ASIA
// (temporary): "Understanding unique ID prefixes",
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-unique-ids.
// LocalStack auth tokens start with `ls-`: https://docs.localstack.cloud/getting-started/auth-token/. No service
// is faked: redaction works on text.
import { describe, expect, it } from 'vitest';
import { redact } from './redact.ts';

describe('redact', () => {
  it('should mask the values of secret environment variables wherever they appear', () => {
    const env = { LOCALSTACK_AUTH_TOKEN: 'my-very-secret-token', AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG' };
    const out = redact('token my-very-secret-token and key wJalrXUtnFEMI/K7MDENG end', env);
    expect(out).toBe('token *** and key *** end');
  });

  it('should mask LocalStack tokens and AWS access key ids by their shape, even when not in the environment', () => {
    expect(redact('auth ls-AbCd1234-EfGh-5678-ijkl ok', {})).toBe('auth *** ok');
    expect(redact('key AKIAIOSFODNN7EXAMPLE used', {})).toBe('key *** used');
  });

  it('should mask assignments of secret variables in command lines and JSON', () => {
    expect(redact('LOCALSTACK_AUTH_TOKEN=abc123xyz docker run', {})).toBe('LOCALSTACK_AUTH_TOKEN=*** docker run');
    expect(redact('{"AWS_SESSION_TOKEN": "FwoGZXIvYXdzE"}', {})).toBe('{"AWS_SESSION_TOKEN": "***"}');
  });

  it("should leave LocalStack's well-known dummy keys readable", () => {
    expect(redact('AWS_ACCESS_KEY_ID is test', { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' })).toBe('AWS_ACCESS_KEY_ID is test');
  });

  it('should leave placeholders and references in help text readable, and still mask the value after them', () => {
    expect(redact('then: export LOCALSTACK_AUTH_TOKEN=<token> (or .env)', {})).toBe('then: export LOCALSTACK_AUTH_TOKEN=<token> (or .env)');
    expect(redact('LOCALSTACK_AUTH_TOKEN: ${LOCALSTACK_AUTH_TOKEN:?set it}', {})).toBe('LOCALSTACK_AUTH_TOKEN: ${LOCALSTACK_AUTH_TOKEN:?set it}');
    expect(redact('LOCALSTACK_AUTH_TOKEN=real-value-123', {})).toBe('LOCALSTACK_AUTH_TOKEN=***');
  });
});

