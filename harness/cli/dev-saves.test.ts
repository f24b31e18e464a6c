import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exited } from '../core/process-support.ts';
import { PROJECT_ROOT } from '../core/run.ts';
import { createScratchProject, type ScratchProject } from '../dev/watch/scratch-project.ts';

// `npm run dev` against every way editors and tools save, on a scratch copy of the app, each checked by the HTTP
// response the running target gives, not only by the watcher's events. Node's recursive fs.watch (the watcher
// before chokidar) lost a file once it had been saved by rename: later saves gave no event at all, silently.
//
// Where the save styles come from (nothing is faked: the real tools run where they can):
// - sed -i runs for real. Captured on this machine with strace (GNU sed 4.9): it reads the file, creates
//   `./sedXXXXXX` (O_EXCL), then renames it over the file.
// - vim's swap files: captured with strace (vim 9.0, `-u NONE`). It creates `.name.swp`, and creates and unlinks a
//   `.name.swx` probe. That vim wrote in place, even with `backupcopy=no`. Its rename-based write (the "4913" probe
//   file, the original renamed to `name~`, a new file written) is written here as vim's documentation describes it
//   (`:help 'backupcopy'`, `:help 'writebackup'`), not captured.
// - A temporary file renamed over the original: JetBrains' "safe write" and VS Code's atomic save, as their
//   settings describe them, not captured.
// - git checkout runs for real.

const UP = path.join(PROJECT_ROOT, 'harness', 'cli', 'up.ts');
const HANDLER = 'handler/index.ts';
const GREETING_LINE = /export const GREETING = .*;/;

let scratch: ScratchProject;
let tmp: string;
let proc: ChildProcess;
let apiUrl: string;
let stderr = '';

beforeAll(async () => {
  scratch = createScratchProject();
  tmp = mkdtempSync(path.join(os.tmpdir(), 'harness-dev-saves-'));
  proc = spawn(process.execPath, [UP, '--target', 'local', '--json', '--watch'], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, TMPDIR: tmp, HARNESS_PROJECT_ROOT: scratch.root, HARNESS_CACHE_DIR: path.join(tmp, 'cache') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  apiUrl = await new Promise<string>((resolve, reject) => {
    createInterface({ input: proc.stdout! }).once('line', (line) => resolve((JSON.parse(line) as { apiUrl: string }).apiUrl));
    proc.once('exit', (code) => reject(new Error(`up --watch exited with ${code}:\n${stderr}`)));
  });
}, 120_000);
afterAll(async () => {
  if (proc && proc.exitCode === null) {
    proc.kill('SIGINT');
    await exited(proc);
  }
  scratch?.remove();
  rmSync(tmp, { recursive: true, force: true });
});

const file = (relative: string) => path.join(scratch.root, relative);
const reloads = () => stderr.split('\n').filter((l) => l.startsWith('[watch] ') && / changed: /.test(l));
const greeting = async (): Promise<string> => JSON.parse(await (await fetch(`${apiUrl}/myHelloVPCLambda`)).text()) as string;
/** index.ts with the greeting set to `text`. */
const withGreeting = (text: string, source = readFileSync(file(HANDLER), 'utf8')) => source.replace(GREETING_LINE, `export const GREETING = ${JSON.stringify(text)};`);

async function serves(text: string, timeoutMs = 15_000): Promise<void> {
  await expect.poll(greeting, { timeout: timeoutMs, interval: 100 }).toBe(text);
}

/** Waits until no reload has started for `quietMs`, then returns how many there were in all. */
async function settled(quietMs = 600): Promise<number> {
  let last = reloads().length;
  for (;;) {
    await new Promise((r) => setTimeout(r, quietMs));
    const now = reloads().length;
    if (now === last) return now;
    last = now;
  }
}

// Save styles, each as the tool does it.
const saves = {
  direct: (text: string) => writeFileSync(file(HANDLER), withGreeting(text)),
  /** sed -i: writes handler/sedXXXXXX, renames it over the file. */
  sed: (text: string) => execFileSync('sed', ['-i', `s/^export const GREETING = .*;$/export const GREETING = ${JSON.stringify(text).replaceAll('/', '\\/')};/`, file(HANDLER)]),
  /** A temporary file renamed over the original (JetBrains' safe write, VS Code's atomic save). */
  rename: (text: string) => {
    const next = withGreeting(text);
    writeFileSync(`${file(HANDLER)}.tmp`, next);
    renameSync(`${file(HANDLER)}.tmp`, file(HANDLER));
  },
  /** vim's default write: a 4913 probe, the original renamed away as a backup, a new file written, the backup removed. */
  vim: (text: string) => {
    const next = withGreeting(text);
    writeFileSync(file('handler/4913'), '');
    unlinkSync(file('handler/4913'));
    renameSync(file(HANDLER), `${file(HANDLER)}~`);
    writeFileSync(file(HANDLER), next);
    unlinkSync(`${file(HANDLER)}~`);
  },
  deleteThenCreate: (text: string) => {
    const next = withGreeting(text);
    unlinkSync(file(HANDLER));
    writeFileSync(file(HANDLER), next);
  },
} as const;

describe('npm run dev: every way of saving reaches the running target', () => {
  it.each(Object.keys(saves) as (keyof typeof saves)[])('should serve an edit saved by %s, and the next ones after it', async (style) => {
    // Twice in a row: the defect lost the saves after the first rename-save.
    for (const round of [1, 2, 3]) {
      const text = `${style} save ${round}`;
      saves[style](text);
      await serves(text);
    }
  });

  it('should keep serving through alternating direct writes and rename-saves, 700 ms apart', async () => {
    for (let i = 0; i < 8; i++) {
      const text = `alternating ${i}`;
      (i % 2 === 0 ? saves.direct : saves.sed)(text);
      await new Promise((r) => setTimeout(r, 700));
      expect(await greeting()).toBe(text);
    }
  });

  it('should pick up a new file the handler then imports, print a build error for a deleted import and keep the old code serving, and recover on the next good save', async () => {
    writeFileSync(file('handler/extra-greeting.ts'), "export const EXTRA = 'from a new file';\n");
    const source = readFileSync(file(HANDLER), 'utf8');
    writeFileSync(file(HANDLER), `import { EXTRA } from './extra-greeting.ts';\n${source.replace(GREETING_LINE, 'export const GREETING = EXTRA;')}`);
    await serves('from a new file');
    const before = reloads().length;
    unlinkSync(file('handler/extra-greeting.ts'));
    await expect.poll(() => reloads().slice(before).join('\n'), { timeout: 15_000 }).toMatch(/build failed after .* the previous code keeps serving: .*extra-greeting/);
    expect(await greeting()).toBe('from a new file');
    writeFileSync(file(HANDLER), withGreeting('recovered', source));
    await serves('recovered');
  });

  it('should reload once for a git checkout that changes several files at once, and serve the final content', async () => {
    const git = (...args: string[]) => execFileSync('git', ['-C', scratch.root, '-c', 'user.email=dev@example.com', '-c', 'user.name=dev', ...args], { stdio: 'ignore' });
    saves.direct('on the base branch');
    git('init', '-q', '-b', 'base');
    git('add', 'handler');
    git('commit', '-qm', 'base');
    git('checkout', '-qb', 'other');
    writeFileSync(file('handler/extra-greeting.ts'), "export const EXTRA = 'checked out';\n");
    const source = readFileSync(file(HANDLER), 'utf8');
    writeFileSync(file(HANDLER), `import { EXTRA } from './extra-greeting.ts';\n${source.replace(GREETING_LINE, 'export const GREETING = EXTRA;')}`);
    git('add', 'handler');
    git('commit', '-qm', 'other');
    git('checkout', '-q', 'base');
    await serves('on the base branch');
    const before = await settled();
    git('checkout', '-q', 'other');
    await serves('checked out');
    expect((await settled()) - before).toBe(1);
    git('checkout', '-q', 'base');
    await serves('on the base branch');
  });

  it('should not reload for editor litter: swap files, backups, 4913, Emacs locks, temporary files renamed away', async () => {
    saves.direct('before the litter');
    await serves('before the litter');
    const before = await settled();
    for (const name of ['.index.ts.swp', '.index.ts.swx', 'index.ts~', '4913', '.#index.ts', 'notes.tmp']) writeFileSync(file(`handler/${name}`), 'litter');
    renameSync(file('handler/notes.tmp'), path.join(tmp, 'notes.tmp'));
    for (const name of ['.index.ts.swp', '.index.ts.swx', 'index.ts~', '4913', '.#index.ts']) unlinkSync(file(`handler/${name}`));
    expect(await settled()).toBe(before);
  });

  it('should end at the last of 20 rename-saves 150 ms apart with no more reloads than saves, and fold 10 saves within 100 ms into at most 2 reloads', async () => {
    await settled();
    let before = reloads().length;
    for (let i = 0; i < 20; i++) {
      saves.rename(`burst ${i}`);
      await new Promise((r) => setTimeout(r, 150));
    }
    await serves('burst 19');
    expect((await settled()) - before).toBeLessThanOrEqual(20);

    before = reloads().length;
    for (let i = 0; i < 10; i++) {
      saves.rename(`fast ${i}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    await serves('fast 9');
    expect((await settled()) - before).toBeLessThanOrEqual(2);
  });

  it('should apply an infra edit saved by rename (sed -i), and one saved directly after it', async () => {
    const stack = file('infra/stack.ts');
    expect((await fetch(`${apiUrl}/extra-by-sed`)).status).toBe(404);
    execFileSync('sed', ['-i', "s#api.addRoutes({ path: '/health', methods: \\[GET\\], integration });#&\\n    api.addRoutes({ path: '/extra-by-sed', methods: [GET], integration });#", stack]);
    await expect.poll(async () => (await (await fetch(`${apiUrl}/extra-by-sed`)).text()).includes('"not_found"'), { timeout: 120_000, interval: 250 }).toBe(true);
    writeFileSync(stack, readFileSync(stack, 'utf8').replace("path: '/extra-by-sed'", "path: '/extra-direct'"));
    await expect.poll(async () => (await (await fetch(`${apiUrl}/extra-direct`)).text()).includes('"not_found"'), { timeout: 120_000, interval: 250 }).toBe(true);
  }, 300_000);
});
