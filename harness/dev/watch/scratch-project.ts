import { cpSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT } from '../../core/run.ts';

/**
 * A throwaway copy of the project's app (infra/, handler/, manifests) with the real node_modules linked in:
 * what the watch tests and the benchmark edit, so that they never touch the working copy. Run the harness on
 * it with HARNESS_PROJECT_ROOT=<root>.
 */
export interface ScratchProject {
  readonly root: string;
  remove(): void;
}

const COPIED = ['infra', 'handler', 'package.json', 'package-lock.json', 'tsconfig.json', 'cdk.json'] as const;

export function createScratchProject(): ScratchProject {
  const root = mkdtempSync(path.join(os.tmpdir(), 'harness-scratch-'));
  for (const entry of COPIED) {
    cpSync(path.join(PROJECT_ROOT, entry), path.join(root, entry), { recursive: true, filter: (src) => !src.includes('__snapshots__') });
  }
  symlinkSync(path.join(PROJECT_ROOT, 'node_modules'), path.join(root, 'node_modules'), 'dir');
  return { root, remove: () => rmSync(root, { recursive: true, force: true }) };
}
