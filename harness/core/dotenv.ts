import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseEnv } from 'node:util';
import { PROJECT_ROOT } from './run.ts';

/**
 * `<project>/.env`, the file `docker compose` reads from the same folder: the harness reads it too, so that the
 * token and HARNESS_EFS_DIR that compose uses reach a host `npm run scenarios` as well.
 */
export const DOTENV_PATH = path.join(PROJECT_ROOT, '.env');

export interface DotEnvResult {
  /** The file that was read; absent when there is none. */
  readonly file?: string;
  /** Names taken from the file, sorted. */
  readonly loaded: readonly string[];
  /** Names the file also sets that kept their value from the shell, sorted. */
  readonly kept: readonly string[];
}

/**
 * Loads `file` into `env` the way Node's `process.loadEnvFile` and Compose do: the same parser
 * (`util.parseEnv`, Node's dotenv format), and a variable already set in the shell wins, even when set empty
 * (what `process.loadEnvFile` does, compared in harness/core/dotenv.test.ts; Compose: docker/compose
 * cmd/compose/compose.go applies cli.WithOsEnv first, "always win").
 */
export function loadDotEnv(env: NodeJS.ProcessEnv = process.env, file: string = DOTENV_PATH): DotEnvResult {
  if (!existsSync(file)) return { loaded: [], kept: [] };
  const loaded: string[] = [];
  const kept: string[] = [];
  for (const [name, value] of Object.entries(parseEnv(readFileSync(file, 'utf8')))) {
    if (env[name] === undefined) {
      env[name] = value;
      loaded.push(name);
    } else {
      kept.push(name);
    }
  }
  return { file, loaded: loaded.sort(), kept: kept.sort() };
}

/** One line naming the file and the variables, never a value; undefined when no file was read. */
export function describeDotEnv({ file, loaded, kept }: DotEnvResult): string | undefined {
  if (!file) return undefined;
  const names = (list: readonly string[]) => (list.length ? list.join(', ') : 'none');
  return `env: read ${file} (set ${names(loaded)}${kept.length ? `; your shell's value kept for ${kept.join(', ')}` : ''})`;
}

/** What every CLI and the scenarios' global setup call first. */
export function loadProjectEnv(say: (line: string) => void = (line) => process.stderr.write(`${line}\n`)): void {
  const line = describeDotEnv(loadDotEnv());
  if (line) say(line);
}
