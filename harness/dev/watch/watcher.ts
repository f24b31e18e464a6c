import path from 'node:path';
import { watch } from 'chokidar';

/**
 * Watches a project's `handler/` and `infra/` and runs one reload at a time: edits that arrive during a
 * reload are gathered into the next one. An edit under `infra/` means synthesis (which bundles the handler
 * too); an edit under `handler/` alone means a rebuild of the bundle.
 *
 * The watching itself is chokidar's (v6): Node's recursive `fs.watch`, which this file used before, loses a
 * file once an editor has saved it by rename (sed -i, vim, JetBrains' safe write): later edits of it gave no
 * event at all on Linux. chokidar watches each folder, re-attaches to a file replaced by rename and folds an
 * unlink followed by an add into one change (`atomic`).
 */

export type ChangeKind = 'handler' | 'infra';

export interface Change {
  readonly kind: ChangeKind;
  /** Changed files relative to the project, sorted. */
  readonly files: readonly string[];
}

/** Reloads for a change and returns the line to print (what changed, how long, the error if any). */
export type Reload = (change: Change) => Promise<string>;

export interface ProjectWatcher {
  /** Resolves once the initial scan is done: edits from then on are seen. */
  readonly ready: Promise<void>;
  /** Resolves when no reload is running or waiting (for tests and the benchmark). */
  idle(): Promise<void>;
  /** Stops watching and waits for a running reload to end. */
  close(): Promise<void>;
}

/** Editors save in bursts (temporary file, rename, touch): changes settle for this long before a reload. */
export const SETTLE_MS = 30;

/**
 * Editors' own files, never part of the code: vim's swap files (`.name.swp`, `.swx`, `.swo`…) and its write test
 * file `4913`, backups (`name~`), Emacs locks (`.#name`), temporary files (`*.tmp`), and sed -i's temporary
 * file (`sedXXXXXX`, renamed over the edited file, which then changes itself).
 */
const EDITOR_LITTER = [/^4913$/, /~$/, /\.sw[a-p]$/, /\.swx$/, /\.tmp$/, /^sed[A-Za-z0-9]{6}$/];

/** Files that never change the bundle or the template: tests, snapshots, editor and hidden files. */
export function isIgnored(file: string): boolean {
  const base = path.basename(file);
  return (
    base.endsWith('.test.ts') ||
    file.split(/[\\/]/).includes('__snapshots__') ||
    base.startsWith('.') ||
    EDITOR_LITTER.some((pattern) => pattern.test(base))
  );
}

/** What a set of changed files calls for. */
export function classify(files: Iterable<string>): Change | undefined {
  const relevant = [...new Set(files)].filter((f) => !isIgnored(f)).sort();
  if (relevant.length === 0) return undefined;
  return { kind: relevant.some((f) => f.startsWith(`infra${path.sep}`)) ? 'infra' : 'handler', files: relevant };
}

export function watchProject(projectRoot: string, reload: Reload, log: (line: string) => void): ProjectWatcher {
  const pending = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let closed = false;
  const idleWaiters: (() => void)[] = [];

  const settleIdle = () => {
    if (running || timer || pending.size > 0) return;
    for (const wake of idleWaiters.splice(0)) wake();
  };
  const drain = async (): Promise<void> => {
    while (!closed && pending.size > 0) {
      const change = classify(pending);
      pending.clear();
      if (change) log(await reload(change).catch((error: Error) => `reload failed: ${error.message}`));
    }
    running = undefined;
    settleIdle();
  };
  const onEvent = (file: string) => {
    if (closed) return;
    pending.add(file);
    clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      running ??= drain();
    }, SETTLE_MS);
  };
  // Paths relative to the project (cwd), as classify() expects them; ignored ones are never watched.
  const watcher = watch(['handler', 'infra'], {
    cwd: projectRoot,
    ignoreInitial: true,
    ignored: (file) => path.basename(file) === 'node_modules' || isIgnored(file),
  });
  for (const event of ['add', 'change', 'unlink'] as const) watcher.on(event, onEvent);
  watcher.on('error', (error) => log(`watch error: ${(error as Error).message}`));
  const ready = new Promise<void>((resolve) => watcher.once('ready', () => resolve()));

  return {
    ready,
    idle: () =>
      new Promise<void>((resolve) => {
        idleWaiters.push(resolve);
        settleIdle();
      }),
    close: async () => {
      closed = true;
      clearTimeout(timer);
      timer = undefined;
      await watcher.close();
      await running;
      for (const wake of idleWaiters.splice(0)) wake();
    },
  };
}
