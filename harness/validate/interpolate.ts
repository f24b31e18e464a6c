/**
 * The Compose Specification's variable interpolation, as Docker Compose v2 does it: a port of compose-go's
 * template/template.go (github:compose-spec/compose-go, commit e70e961c3a3acebf0800b882f1afb3dbf1fb74a2), applied
 * to every string value of the file (never to keys) as interpolation/interpolation.go does, with the casts of
 * loader/interpolate.go. Keeping compose-go's quirks (an operator chosen by its first position, the greedy match
 * up to the line's last `}`) is the point: it is what decides what `docker compose config` sees.
 */

/** A variable's value, or undefined when it is not set (set-but-empty is `''`, which some operators tell apart). */
export type Lookup = (name: string) => string | undefined;

/**
 * compose-go's DefaultPattern: `$$`, `$VAR`, `${VAR…}` or an invalid `${`; its `(?i:` group makes names case-blind,
 * and Go's `.` (here `[^\n]`) stops only at a newline.
 */
const PATTERN_SOURCE = String.raw`\$(?:(?<escaped>\$)|(?<named>[_a-z][_a-z0-9]*)|\{(?:(?<braced>[_a-z][_a-z0-9]*(?::?[-+?]([^\n]*))?)\}|(?<invalid>)))`;

/** compose-go's MissingRequiredError, whose message `docker compose` prints as is. */
export class MissingRequiredError extends Error {
  readonly variable: string;
  readonly reason: string;

  constructor(variable: string, reason: string) {
    super(reason ? `required variable ${variable} is missing a value: ${reason}` : `required variable ${variable} is missing a value`);
    this.variable = variable;
    this.reason = reason;
  }
}

/** compose-go's InvalidTemplateError. */
export class InvalidTemplateError extends Error {
  readonly template: string;

  constructor(template: string) {
    super(`Invalid template: ${JSON.stringify(template)}`);
    this.template = template;
  }
}

type Operator = ':?' | '?' | ':-' | '-' | ':+' | '+';
const OPERATORS: readonly Operator[] = [':?', '?', ':-', '-', ':+', '+'];

/** Replaces every variable in `template`, like compose-go's template.Substitute. */
export function substitute(template: string, lookup: Lookup): string {
  return template.replace(new RegExp(PATTERN_SOURCE, 'gi'), (match) => {
    try {
      return replace(match, lookup);
    } catch (error) {
      // compose-go names the template the invalid `${` was found in (a nested default's, when it was there).
      if (error instanceof InvalidTemplateError && error.template === '') throw new InvalidTemplateError(template);
      throw error;
    }
  });
}

/** compose-go's DefaultReplacementAppliedFunc, for one match of the pattern. */
function replace(match: string, lookup: Lookup): string {
  // The operator is the one found first in the whole match, before the match is cut at its closing brace.
  const operator = firstOperator(match);
  const close = firstClosingBrace(match);
  const rest = close > -1 ? match.slice(close + 1) : '';
  const substring = close > -1 ? match.slice(0, close + 1) : match;

  const groups = new RegExp(PATTERN_SOURCE, 'i').exec(substring)?.groups ?? {};
  if (groups.escaped) return groups.escaped;
  const braced = !groups.named;
  const substitution = groups.named || groups.braced;
  if (!substitution) throw new InvalidTemplateError('');

  if (braced && operator) {
    const applied = applyOperator(operator, substitution, lookup);
    if (applied !== undefined) return applied + substitute(rest, lookup);
  }
  // Unset: compose warns "The X variable is not set. Defaulting to a blank string." and goes on.
  return lookup(substitution) ?? '';
}

/** compose-go's getSubstitutionFunctionForTemplate: the operator at the lowest index of the text. */
function firstOperator(text: string): Operator | undefined {
  let first: { operator: Operator; index: number } | undefined;
  for (const operator of OPERATORS) {
    const index = text.indexOf(operator);
    if (index >= 0 && (!first || index < first.index)) first = { operator, index };
  }
  return first?.operator;
}

/** compose-go's getFirstBraceClosingIndex, including its skip of the character after each `{`. */
function firstClosingBrace(text: string): number {
  let open = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '}') {
      open--;
      if (open === 0) return i;
    }
    if (text[i] === '{') {
      open++;
      i++;
    }
  }
  return -1;
}

/** The value of `NAME<operator>operand`, or undefined when the operator does not occur in it (not applied). */
function applyOperator(operator: Operator, substitution: string, lookup: Lookup): string | undefined {
  const at = substitution.indexOf(operator);
  if (at < 0) return undefined;
  const name = substitution.slice(0, at);
  const operand = substitution.slice(at + operator.length);
  const value = lookup(name);
  const empty = value === undefined || value === '';
  switch (operator) {
    case ':?':
    case '?':
      if (operator === ':?' ? empty : value === undefined) throw new MissingRequiredError(name, substitute(operand, lookup));
      return value ?? '';
    case ':-':
      return empty ? substitute(operand, lookup) : value;
    case '-':
      return value === undefined ? substitute(operand, lookup) : value;
    case ':+':
      return empty ? (value ?? '') : substitute(operand, lookup);
    case '+':
      return value === undefined ? '' : substitute(operand, lookup);
  }
}

/** compose-go's casts: toInt (strconv.Atoi), toInt64 (strconv.ParseInt), toFloat/toFloat32 (strconv.ParseFloat), toBoolean. */
type Cast = 'int' | 'int64' | 'float' | 'bool';

/**
 * loader/interpolate.go's interpolateTypeCastMapping: paths whose interpolated string Compose turns into a number
 * or a boolean before it validates the file (`*` is any key or list item, `[]` a list item).
 */
const CASTS: readonly (readonly [string, Cast])[] = [
  ...(
    [
      ['cpu_count', 'int64'], ['cpu_percent', 'float'], ['cpu_period', 'int64'], ['cpu_quota', 'int64'], ['cpu_rt_period', 'int64'],
      ['cpu_rt_runtime', 'int64'], ['cpus', 'float'], ['cpu_shares', 'int64'], ['init', 'bool'], ['depends_on.*.required', 'bool'],
      ['depends_on.*.restart', 'bool'], ['deploy.replicas', 'int'], ['deploy.update_config.parallelism', 'int'],
      ['deploy.update_config.max_failure_ratio', 'float'], ['deploy.rollback_config.parallelism', 'int'],
      ['deploy.rollback_config.max_failure_ratio', 'float'], ['deploy.restart_policy.max_attempts', 'int'],
      ['deploy.placement.max_replicas_per_node', 'int'], ['healthcheck.retries', 'int'], ['healthcheck.disable', 'bool'],
      ['oom_kill_disable', 'bool'], ['oom_score_adj', 'int64'], ['pids_limit', 'int64'], ['ports.[].target', 'int'],
      ['privileged', 'bool'], ['read_only', 'bool'], ['scale', 'int'], ['stdin_open', 'bool'], ['tty', 'bool'],
      ['ulimits.*', 'int'], ['ulimits.*.hard', 'int'], ['ulimits.*.soft', 'int'], ['volumes.[].read_only', 'bool'],
      ['volumes.[].volume.nocopy', 'bool'],
    ] as const
  ).map(([path, cast]) => [`services.*.${path}`, cast] as const),
  ...(['networks.*.external', 'networks.*.internal', 'networks.*.attachable', 'networks.*.enable_ipv4', 'networks.*.enable_ipv6', 'volumes.*.external', 'secrets.*.external', 'configs.*.external'] as const).map(
    (path) => [path, 'bool'] as const,
  ),
];

/** tree.Path.Matches: same length, each part equal or `*`. */
function matches(path: readonly string[], pattern: string): boolean {
  const parts = pattern.split('.');
  return parts.length === path.length && parts.every((part, i) => part === '*' || part === path[i]);
}

function cast(value: string, to: Cast): number | boolean {
  if (to === 'bool') {
    // toBoolean: YAML 1.1's words too (compose warns about them).
    const lower = value.toLowerCase();
    if (['true', 'y', 'yes', 'on'].includes(lower)) return true;
    if (['false', 'n', 'no', 'off'].includes(lower)) return false;
    throw new Error(`invalid boolean: ${value}`);
  }
  // strconv.Atoi / ParseInt / ParseFloat, for their decimal forms; the message is Go's *strconv.NumError.
  const number = to === 'float' ? (/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(value) ? Number(value) : NaN) : /^[+-]?\d+$/.test(value) ? Number(value) : NaN;
  const parser = { int: 'Atoi', int64: 'ParseInt', float: 'ParseFloat' }[to];
  if (Number.isNaN(number)) throw new Error(`strconv.${parser}: parsing ${JSON.stringify(value)}: invalid syntax`);
  return number;
}

/**
 * Interpolates every string value of a parsed compose file (keys stay as they are), like compose-go's
 * interpolation.Interpolate with the loader's casts. Errors name the value's path, as compose's do.
 */
export function interpolate(config: Readonly<Record<string, unknown>>, lookup: Lookup): Record<string, unknown> {
  return walk(config, [], lookup) as Record<string, unknown>;
}

function walk(value: unknown, path: readonly string[], lookup: Lookup): unknown {
  if (typeof value === 'string') {
    const where = path.join('.');
    let result: string;
    try {
      result = substitute(value, lookup);
    } catch (error) {
      if (error instanceof InvalidTemplateError) {
        throw new Error(`invalid interpolation format for ${where}.\nYou may need to escape any $ with another $.\n${error.template}`, { cause: error });
      }
      throw new Error(`error while interpolating ${where}: ${(error as Error).message}`, { cause: error });
    }
    const to = CASTS.find(([pattern]) => matches(path, pattern))?.[1];
    if (!to) return result;
    try {
      return cast(result, to);
    } catch (error) {
      throw new Error(`error while interpolating ${where}: failed to cast to expected type: ${(error as Error).message}`, { cause: error });
    }
  }
  if (Array.isArray(value)) return value.map((item) => walk(item, [...path, '[]'], lookup));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, walk(item, [...path, key], lookup)]));
  }
  return value;
}
