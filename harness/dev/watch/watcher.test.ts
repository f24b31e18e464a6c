import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type Change, classify, isIgnored, watchProject } from './watcher.ts';

describe('classify', () => {
  it('should call for synthesis when anything under infra/ changed, a rebuild otherwise', () => {
    expect(classify(['handler/index.ts'])).toEqual({ kind: 'handler', files: ['handler/index.ts'] });
    expect(classify(['handler/index.ts', 'infra/stack.ts'])).toEqual({ kind: 'infra', files: ['handler/index.ts', 'infra/stack.ts'] });
  });

  it('should ignore tests, snapshots, hidden and editor files', () => {
    const litter = ['handler/.index.ts.swp', 'handler/.index.ts.swx', 'handler/index.ts~', 'handler/4913', 'infra/.#stack.ts', 'handler/notes.tmp', 'handler/sedAb12Xy'];
    for (const file of ['handler/index.test.ts', 'infra/__snapshots__/x.snap', ...litter]) {
      expect(isIgnored(file)).toBe(true);
    }
    expect(classify(['handler/index.test.ts'])).toBeUndefined();
    for (const file of ['handler/index.ts', 'handler/sed.ts', 'handler/tmp.ts', 'infra/stack.ts']) expect(isIgnored(file)).toBe(false);
  });
});

describe('watchProject', () => {
  let root: string;
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('should reload once per burst of edits, gather edits made during a reload into the next one, and log its line', async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'harness-watcher-test-'));
    for (const dir of ['handler', 'infra']) mkdirSync(path.join(root, dir));
    const changes: Change[] = [];
    const lines: string[] = [];
    let release: () => void = () => {};
    const watcher = watchProject(
      root,
      async (change) => {
        changes.push(change);
        if (changes.length === 1) await new Promise<void>((resolve) => (release = resolve));
        return `reloaded ${change.kind}`;
      },
      (line) => lines.push(line),
    );
    try {
      // Edits count from the end of the initial scan on.
      await watcher.ready;
      writeFileSync(path.join(root, 'handler', 'a.ts'), '1');
      writeFileSync(path.join(root, 'handler', 'a.ts'), '2');
      await until(() => changes.length === 1);
      // While the first reload runs: two more edits, one of them in infra/.
      writeFileSync(path.join(root, 'handler', 'b.ts'), '1');
      writeFileSync(path.join(root, 'infra', 'stack.ts'), '1');
      await new Promise((r) => setTimeout(r, 200));
      expect(changes).toHaveLength(1);
      release();
      await until(() => changes.length === 2);
      await watcher.idle();
      expect(changes).toEqual([
        { kind: 'handler', files: ['handler/a.ts'] },
        { kind: 'infra', files: ['handler/b.ts', 'infra/stack.ts'] },
      ]);
      expect(lines).toEqual(['reloaded handler', 'reloaded infra']);
    } finally {
      await watcher.close();
    }
    // Closed: edits do nothing any more.
    writeFileSync(path.join(root, 'handler', 'a.ts'), '3');
    await new Promise((r) => setTimeout(r, 200));
    expect(changes).toHaveLength(2);
  });
});

async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met within 10 s');
    await new Promise((r) => setTimeout(r, 20));
  }
}
