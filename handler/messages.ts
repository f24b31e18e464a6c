import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rename, rm } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { ApiError } from './http.ts';
import { BUCKET_NAME, bucketsOf, FILE_SUFFIX, idTimeMs, isLegacyId, isTimeId, MESSAGES_FOLDER, messagePath, newMessageId } from './message-ids.ts';

/**
 * Messages on the shared file system: one file per message holding exactly
 * `JSON.stringify({ id, text, createdAt })`, at `messages/<3 hex>/<3 hex>/<3 hex>/<id>.json` (the folders
 * are the id's timestamp, see message-ids.ts). Many function instances write at once over NFS (EFS), where
 * appends to a shared file are not atomic; a file per message written under a temporary name and renamed
 * is, so no message is lost or torn. Files of the first layout, `messages/<uuid v4>.json`, are still read.
 */

export interface Message {
  readonly id: string;
  readonly text: string;
  /** ISO 8601, UTC: the id's own millisecond. */
  readonly createdAt: string;
}

/**
 * Writes in flight announce themselves: each first creates its temporary file in `messages/.pending/`,
 * named by the millisecond it was created, and only then takes its id (never older than that name). A
 * reader that lists `.pending/` knows that no write still in flight can land before the oldest name there,
 * and that a write not yet announced takes an id no older than now minus the clock difference between
 * instances. A pending name older than `PENDING_EXPIRY_MS` belongs to a writer that cannot still be
 * running (the function's timeout, 10 s in infra/stack.ts, plus 5 s) and no longer holds readers back.
 */
export const PENDING_FOLDER = '.pending';
export const CLOCK_SKEW_MS = 2_000;
export const PENDING_EXPIRY_MS = 15_000;
/** A write that could not start its rename within this time of announcing itself gives up (503) instead, so that it never outlives its announcement. */
export const WRITE_BUDGET_MS = 5_000;
const PENDING_NAME = /^([0-9a-f]{12})-[0-9a-f]{12}\.tmp$/;

/** Files read at once for one page: far below Lambda's 1,024 open files, enough to hide NFS round trips. */
export const READ_CONCURRENCY = 32;
/** A file larger than any message this API ever wrote (64 KiB bodies before the text cap) is not a message. */
const MAX_FILE_BYTES = 80 * 1024;
/** A page's messages stop before this many bytes of JSON: well under Lambda's 6 MB response limit. */
export const PAGE_BUDGET_BYTES = 5_000_000;

function messagesDir(mountPath: string): string {
  return path.join(mountPath, MESSAGES_FOLDER);
}

function absolutePath(mountPath: string, id: string): string {
  return path.join(mountPath, ...messagePath(id).split('/'));
}

/**
 * Stores a new message durably and atomically and returns it: the bytes go to a temporary file in the
 * dot-named `.pending/` folder (which listings skip; same file system, so the rename is atomic), are fsync'ed, and
 * the file is renamed to its final name. Readers see the whole message or none of it. The id is taken after
 * the temporary file exists and is never older than its name (see `PENDING_FOLDER`).
 */
export async function writeMessage(mountPath: string, text: string): Promise<Message> {
  const pendingDir = path.join(messagesDir(mountPath), PENDING_FOLDER);
  const announcedAt = Date.now();
  const temporary = path.join(pendingDir, `${announcedAt.toString(16).padStart(12, '0')}-${randomBytes(6).toString('hex')}.tmp`);
  let file: FileHandle | undefined;
  try {
    file = await open(temporary, 'wx').catch(async (error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
      await makeFolders(messagesDir(mountPath), [PENDING_FOLDER]);
      return open(temporary, 'wx');
    });
    const id = newMessageId(announcedAt);
    const message = { id, text, createdAt: new Date(idTimeMs(id)).toISOString() };
    await file.writeFile(JSON.stringify(message), 'utf8');
    await file.sync();
    await file.close();
    file = undefined;
    const late = Date.now() - announcedAt;
    if (late > WRITE_BUDGET_MS) {
      throw new ApiError(503, 'write_too_slow', `Storing the message took ${late} ms, more than ${WRITE_BUDGET_MS} ms; it was not stored, so that no reader passes over it. Retry the request.`);
    }
    const final = absolutePath(mountPath, id);
    await rename(temporary, final).catch(async (error: NodeJS.ErrnoException) => {
      // Only the first write of a 4-second folder pays for its folders.
      if (error.code !== 'ENOENT') throw error;
      await makeFolders(messagesDir(mountPath), bucketsOf(id));
      await rename(temporary, final);
    });
    return message;
  } catch (error) {
    await file?.close().catch(() => {});
    await rm(temporary, { force: true }).catch(() => {});
    throw error;
  }
}

/** `messages/` and `names` below it, one at a time, never recursively: if the mount root vanished, this fails instead of re-creating it on local disk. */
async function makeFolders(dir: string, names: readonly string[]): Promise<void> {
  for (const name of ['', ...names]) {
    dir = path.join(dir, name);
    await mkdir(dir).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
    });
  }
}

/** The stored message, or undefined when no file has that id. The id must have passed `isMessageId`. */
export async function readMessage(mountPath: string, id: string): Promise<Message | undefined> {
  const file = absolutePath(mountPath, id);
  const bytes = await readCapped(file);
  if (bytes === undefined) return undefined;
  const parsed = parseStoredMessage(bytes, id);
  if (typeof parsed === 'string') throw new Error(`${file} ${parsed}`);
  return parsed;
}

export interface Page {
  readonly messages: Message[];
  /** Files in this page's range whose content is not a valid message (each logged with the reason). */
  readonly skipped: number;
  /** Where the next page starts; absent when this page reached the end. */
  readonly next?: Position;
}

/**
 * A place in the order of all messages: `L<uuid v4>` for the first layout (all of which sort first, by id,
 * since those ids carry no time), `T<uuid v7>` for time ids, or `T<8 hex>-<4 hex>` (a time id's first 13
 * characters), which sorts just before every id of that millisecond.
 */
export type Position = string;

const TIME_PREFIX = /^[0-9a-f]{8}-[0-9a-f]{4}$/;

export function isPosition(value: string): boolean {
  const rest = value.slice(1);
  return value[0] === 'L' ? isLegacyId(rest) : value[0] === 'T' && (isTimeId(rest) || TIME_PREFIX.test(rest));
}

function timePosition(ms: number): Position {
  const hex = Math.max(0, ms).toString(16).padStart(12, '0');
  return `T${hex.slice(0, 8)}-${hex.slice(8)}`;
}

/**
 * Up to `limit` messages after `after` (from the start when absent), in order, reading only this page's
 * folders and files, `READ_CONCURRENCY` at a time.
 *
 * The rule that keeps paging exact while others write: a name may be missing from a listing only if its
 * write was still in flight, and no such write lands before `settledBefore` (see `PENDING_FOLDER`). A page
 * that does not reach the end therefore never ends past that time: it stops before the first name that is
 * not settled (it may hold fewer than `limit` messages, even none, and still give `next`). Every name before
 * a cursor was settled when the cursor was made, so no message is passed over; pages start strictly after
 * their cursor, so none comes twice. A page that reaches the end returns everything it sees and no
 * cursor: a write that lands later belongs to the next pass.
 *
 * Any read failure other than a file vanishing (EMFILE, EIO, ETIMEDOUT…) fails the whole page with 503:
 * a short page would look complete.
 */
export async function listPage(mountPath: string, options: { after?: Position; limit: number; now?: number }): Promise<Page> {
  const { after, limit } = options;
  // `.pending/` first: a write missing from the folders listed next was either still announced here, or
  // announced after this listing (so its id is newer than now less the clock skew).
  const settled = timePosition(await settledBefore(mountPath, options.now ?? Date.now()));
  const found: Position[] = [];
  try {
    for await (const position of positionsAfter(messagesDir(mountPath), after)) {
      found.push(position);
      if (found.length > limit) break;
    }
  } catch (error) {
    throw storageUnavailable(error);
  }
  // A page that does not reach the end ends before the first name that is not settled.
  const settledPart = (positions: Position[]): Position[] => positions.filter((position) => position < settled);
  let covered = found.slice(0, limit);
  let reachesEnd = found.length <= limit;
  if (!reachesEnd) covered = settledPart(covered);
  const loaded = await mapBounded(covered, READ_CONCURRENCY, (position) => loadAt(mountPath, position));
  // The response budget can end a page early too (only messages of the first layout are large enough).
  let bytes = 0;
  const overBudget = loaded.findIndex((message) => typeof message === 'object' && (bytes += Buffer.byteLength(JSON.stringify(message)) + 1) > PAGE_BUDGET_BYTES);
  if (overBudget > 0) {
    covered = settledPart(covered.slice(0, overBudget));
    reachesEnd = false;
  }
  const kept = loaded.slice(0, covered.length);
  return {
    messages: kept.filter((message) => typeof message === 'object'),
    skipped: kept.filter((message) => message === 'skipped').length,
    ...(reachesEnd ? {} : { next: covered.at(-1) ?? (after !== undefined && after > settled ? after : settled) }),
  };
}

/** A time before which every message has landed: now less the clock skew, or the oldest write still in flight. */
async function settledBefore(mountPath: string, now: number): Promise<number> {
  let settled = now - CLOCK_SKEW_MS;
  let names: string[];
  try {
    names = await listNames(path.join(messagesDir(mountPath), PENDING_FOLDER));
  } catch (error) {
    throw storageUnavailable(error);
  }
  for (const name of names) {
    const announcedAt = Number.parseInt(PENDING_NAME.exec(name)?.[1] ?? '', 16);
    if (announcedAt > now - PENDING_EXPIRY_MS) settled = Math.min(settled, announcedAt);
  }
  return settled;
}

/** Every message name after `after`, in order, listing a folder only when the walk reaches it. */
async function* positionsAfter(dir: string, after: Position | undefined): AsyncGenerator<Position> {
  const top = await listNames(dir);
  if (after === undefined || after[0] === 'L') {
    yield* idsIn(top, isLegacyId)
      .map((id) => `L${id}`)
      .filter((position) => after === undefined || position > after);
  }
  const from = after?.[0] === 'T' ? bucketsOf(after.slice(1)) : undefined;
  yield* walkBuckets(dir, top, 0, from, after);
}

async function* walkBuckets(dir: string, names: string[], depth: number, from: string[] | undefined, after: Position | undefined): AsyncGenerator<Position> {
  for (const bucket of names.filter((name) => BUCKET_NAME.test(name)).sort()) {
    if (from && bucket < from[depth]!) continue;
    // Only the cursor's own bucket needs the cursor below it; later ones are read from their start.
    const within = from && bucket === from[depth] ? from : undefined;
    const folder = path.join(dir, bucket);
    const inside = await listNames(folder);
    if (depth < 2) {
      yield* walkBuckets(folder, inside, depth + 1, within, after);
    } else {
      yield* idsIn(inside, isTimeId)
        .map((id) => `T${id}`)
        .filter((position) => !within || position > after!);
    }
  }
}

/** Sorted ids of the message files among `names`; temporary files (dot-named) and foreign names are not messages. */
function idsIn(names: string[], isId: (value: string) => boolean): string[] {
  return names
    .filter((name) => name.endsWith(FILE_SUFFIX))
    .map((name) => name.slice(0, -FILE_SUFFIX.length))
    .filter(isId)
    .sort();
}

async function listNames(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/** The message at `position`; 'gone' if its file vanished since the listing; 'skipped' (logged) if it holds no valid message. */
async function loadAt(mountPath: string, position: Position): Promise<Message | 'gone' | 'skipped'> {
  const id = position.slice(1);
  const file = absolutePath(mountPath, id);
  let bytes: Buffer | undefined;
  try {
    bytes = await readCapped(file);
  } catch (error) {
    throw storageUnavailable(error);
  }
  if (bytes === undefined) {
    console.error(`${file} was listed but is gone (removed by someone else); not part of this page.`);
    return 'gone';
  }
  const parsed = parseStoredMessage(bytes, id);
  if (typeof parsed !== 'string') return parsed;
  console.error(`Skipping ${file}: it ${parsed}`);
  return 'skipped';
}

/** The file's bytes, at most `MAX_FILE_BYTES + 1` of them (enough to see that it is too large); undefined when it does not exist. */
async function readCapped(file: string): Promise<Buffer | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const buffer = Buffer.alloc(MAX_FILE_BYTES + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length === buffer.length) break;
    }
    return buffer.subarray(0, length);
  } finally {
    await handle.close();
  }
}

/** `items` mapped by `fn` in order, with at most `concurrency` calls pending; the first failure rejects and starts no more calls. */
async function mapBounded<T, R>(items: readonly T[], concurrency: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let nextIndex = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed && nextIndex < items.length) {
      const i = nextIndex++;
      try {
        results[i] = await fn(items[i]!);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}

/** A failure to list or read: the page cannot be complete, so the request fails (503) and says what failed. */
function storageUnavailable(error: unknown): unknown {
  if (error instanceof ApiError) return error;
  const code = (error as NodeJS.ErrnoException).code;
  if (typeof code !== 'string') return error;
  console.error(`Listing messages failed, answering 503 instead of a partial page: ${(error as Error).message}`);
  return new ApiError(
    503,
    'storage_unavailable',
    `Reading the stored messages failed (${code}); no partial page was returned, since it would hide messages. Retry the same request.`,
  );
}

/** The message, or why the bytes are not the message `id`. */
function parseStoredMessage(bytes: Buffer, id: string): Message | string {
  if (bytes.length > MAX_FILE_BYTES) return `is larger than ${MAX_FILE_BYTES} bytes, more than any message this API writes`;
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    return `is not valid JSON: ${(error as Error).message}`;
  }
  const { id: storedId, text, createdAt } = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  if (storedId !== id || typeof text !== 'string' || typeof createdAt !== 'string') {
    return `does not hold a message with id ${id}, a string text and a string createdAt`;
  }
  return { id, text, createdAt };
}
