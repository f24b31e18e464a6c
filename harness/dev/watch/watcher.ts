import { type FSWatcher, watch } from 'node:fs';
import path from 'node:path';

/**
 * Watches a project's `handler/` and `infra/` and runs one reload at a time: edits that arrive during a
 * reload are gathered into the next one. An edit under `infra/` means synthesis (which bundles the handler
 * too); an edit under `handler/` alone means a rebuild of the bundle.
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
  /** Resolves when no reload is running or waiting (for tests and the benchmark). */
  idle(): Promise<void>;
  /** Stops watching and waits for a running reload to end. */
  close(): Promise<void>;
}

/** Editors save in bursts (temporary file, rename, touch): changes settle for this long before a reload. */
export const SETTLE_MS = 30;

/** Files that never change the bundle or the template: tests, snapshots, editor and hidden files. */
export function isIgnored(file: string): boolean {
  const base = path.basename(file);
  return (
    base.endsWith('.test.ts') || file.split(/[\\/]/).includes('__snapshots__') || base.startsWith('.') || base.endsWith('~') || base.endsWith('.swp')
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
  const onEvent = (folder: string, file: string | null) => {
    if (closed || !file) return;
    pending.add(path.join(folder, file));
    clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      running ??= drain();
    }, SETTLE_MS);
  };
  const watchers: FSWatcher[] = (['handler', 'infra'] as const).map((folder) =>
    watch(path.join(projectRoot, folder), { recursive: true }, (_event, file) => onEvent(folder, file)),
  );

  return {
    idle: () =>
      new Promise<void>((resolve) => {
        idleWaiters.push(resolve);
        settleIdle();
      }),
    close: async () => {
      closed = true;
      clearTimeout(timer);
      timer = undefined;
      for (const w of watchers) w.close();
      await running;
      for (const wake of idleWaiters.splice(0)) wake();
    },
  };
}
