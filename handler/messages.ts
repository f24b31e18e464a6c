import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';

/**
 * Messages on the shared file system: one file per message, `<mount>/messages/<id>.json`, holding exactly
 * `JSON.stringify({ id, text, createdAt })`. Many function instances write at once over NFS (EFS), where
 * appends to a shared file are not atomic; a file per message written under a temporary name and renamed
 * is, so no message is lost or torn.
 */

export interface Message {
  readonly id: string;
  readonly text: string;
  /** ISO 8601, UTC. */
  readonly createdAt: string;
}

export const MESSAGES_FOLDER = 'messages';

/** The shape `crypto.randomUUID()` produces. Only such ids reach the file system, so no id can name a path outside `messages/`. */
export const MESSAGE_ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const FILE_SUFFIX = '.json';

export function isMessageId(value: string): boolean {
  return MESSAGE_ID_PATTERN.test(value);
}

function messagesDir(mountPath: string): string {
  return path.join(mountPath, MESSAGES_FOLDER);
}

/**
 * Stores a message durably and atomically: the bytes go to a dot-named temporary file in the same folder
 * (same folder, so the rename never crosses file systems; dot-named, so listings skip it), are fsync'ed,
 * and the file is renamed to its final name. Readers see the whole message or none of it.
 */
export async function writeMessage(mountPath: string, message: Message): Promise<void> {
  const dir = messagesDir(mountPath);
  // Not recursive: if the mount root vanished, this fails instead of re-creating it on local disk.
  await mkdir(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'EEXIST') throw error;
  });
  const temporary = path.join(dir, `.${message.id}.${randomBytes(6).toString('hex')}.tmp`);
  let file: FileHandle | undefined;
  try {
    file = await open(temporary, 'wx');
    await file.writeFile(JSON.stringify({ id: message.id, text: message.text, createdAt: message.createdAt }), 'utf8');
    await file.sync();
    await file.close();
    file = undefined;
    await rename(temporary, path.join(dir, `${message.id}${FILE_SUFFIX}`));
  } catch (error) {
    await file?.close().catch(() => {});
    await rm(temporary, { force: true }).catch(() => {});
    throw error;
  }
}

/** The stored message, or undefined when no file has that id. The id must have passed `isMessageId`. */
export async function readMessage(mountPath: string, id: string): Promise<Message | undefined> {
  const file = path.join(messagesDir(mountPath), `${id}${FILE_SUFFIX}`);
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  return parseStoredMessage(bytes, id, file);
}

/**
 * Every stored message, oldest first (ties broken by id). Temporary files and foreign names are ignored; a
 * file that cannot be read or does not hold a valid message is logged and skipped, so one bad file does not hide the others.
 */
export async function listMessages(mountPath: string): Promise<Message[]> {
  const dir = messagesDir(mountPath);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const ids = names.filter((name) => name.endsWith(FILE_SUFFIX)).map((name) => name.slice(0, -FILE_SUFFIX.length)).filter(isMessageId);
  const loaded = await Promise.all(
    ids.map(async (id) => {
      const file = path.join(dir, `${id}${FILE_SUFFIX}`);
      try {
        return parseStoredMessage(await readFile(file), id, file);
      } catch (error) {
        console.error(`Skipping ${file}: ${(error as Error).message}`);
        return undefined;
      }
    }),
  );
  return loaded
    .filter((message) => message !== undefined)
    .sort((a, b) => compare(a.createdAt, b.createdAt) || compare(a.id, b.id));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function parseStoredMessage(bytes: Buffer, id: string, file: string): Message {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new Error(`${file} is not valid JSON: ${(error as Error).message}`);
  }
  const { id: storedId, text, createdAt } = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  if (storedId !== id || typeof text !== 'string' || typeof createdAt !== 'string') {
    throw new Error(`${file} does not hold a message with id ${id}, a string text and a string createdAt.`);
  }
  return { id, text, createdAt };
}
