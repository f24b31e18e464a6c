/**
 * Secrets never reach a log line, an error, a snapshot or an artifact: everything the harness prints or
 * writes from a subprocess or a service goes through `redact`.
 */

/** Environment variables whose values are secrets. */
export const SECRET_ENV_NAMES = [
  'LOCALSTACK_AUTH_TOKEN',
  'LOCALSTACK_API_KEY',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_SECURITY_TOKEN',
  'AWS_ACCESS_KEY_ID',
] as const;

const MASK = '***';

// Shapes that are secrets wherever they appear, even when not in our environment (e.g. echoed by a service).
const SECRET_PATTERNS: readonly (readonly [RegExp, string])[] = [
  [/\bls-[A-Za-z0-9]{4,}-[A-Za-z0-9-]{8,}\b/g, MASK], // LocalStack auth tokens
  [/\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/g, MASK], // AWS access key ids
  // Values only: a placeholder in help text (`=<token>`), a reference (`${...}`) or a compose default/error
  // (`:-…`, `:?…`) stays readable.
  [/\b((?:LOCALSTACK_AUTH_TOKEN|LOCALSTACK_API_KEY|AWS_SECRET_ACCESS_KEY|AWS_SESSION_TOKEN)"?\s*[=:]\s*"?)(?![<$*?-])[^\s"',}]+/g, `$1${MASK}`],
];

/** Secret values present in `env` (values shorter than 8 characters, such as LocalStack's `test` keys, are no secrets and would mask ordinary words). */
export function secretValues(env: NodeJS.ProcessEnv = process.env): string[] {
  return SECRET_ENV_NAMES.map((name) => env[name]).filter((v): v is string => typeof v === 'string' && v.length >= 8);
}

/** Replaces every secret in `text` with `***`. */
export function redact(text: string, env: NodeJS.ProcessEnv = process.env): string {
  let out = text;
  for (const value of secretValues(env)) out = out.split(value).join(MASK);
  for (const [pattern, replacement] of SECRET_PATTERNS) out = out.replace(pattern, replacement);
  return out;
}
