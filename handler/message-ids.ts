import { randomBytes } from 'node:crypto';

/**
 * Message ids and where each one lives on the file system. New ids are UUID version 7 (RFC 9562, section
 * 5.7): the first 48 bits are the Unix time in milliseconds, so ids sort by time as plain strings, and the
 * file's folder follows from the id alone (`GET /messages/{id}` stays one file read). Ids of the first
 * layout (UUID version 4, `messages/<id>.json`) stay readable where they are.
 */

export const MESSAGES_FOLDER = 'messages';
export const FILE_SUFFIX = '.json';

/** What `crypto.randomUUID()` produced before time-sorted ids: kept readable in the flat first layout. */
const LEGACY_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const TIME_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
/** One folder level: three hex digits of the id's time, so no folder ever holds more than 4,096 folders. */
export const BUCKET_NAME = /^[0-9a-f]{3}$/;

export function isTimeId(value: string): boolean {
  return TIME_ID.test(value);
}

export function isLegacyId(value: string): boolean {
  return LEGACY_ID.test(value);
}

/** Only ids of these two shapes ever reach the file system, so no id can name a path outside `messages/`. */
export function isMessageId(value: string): boolean {
  return isTimeId(value) || isLegacyId(value);
}

/** The 12 hex digits of a time id's millisecond timestamp. */
function timeHex(id: string): string {
  return id.slice(0, 8) + id.slice(9, 13);
}

export function idTimeMs(id: string): number {
  return Number.parseInt(timeHex(id), 16);
}

/**
 * The three folders of a time id, each named by three hex digits of its timestamp: about 2.2 years, 4.7
 * hours and 4.1 seconds per folder. A page lists only the few folders it reads, each small.
 */
export function bucketsOf(id: string): [string, string, string] {
  const hex = timeHex(id);
  return [hex.slice(0, 3), hex.slice(3, 6), hex.slice(6, 9)];
}

/** Where a message lives, relative to the mount path, with `/` separators (the same on every target). */
export function messagePath(id: string): string {
  return isTimeId(id) ? [MESSAGES_FOLDER, ...bucketsOf(id), `${id}${FILE_SUFFIX}`].join('/') : `${MESSAGES_FOLDER}/${id}${FILE_SUFFIX}`;
}

let last = { ms: -1, sequence: 0 };

/**
 * A new UUID v7 for now, never older than `notBefore`. Ids from one process strictly increase, even within
 * one millisecond or when the clock steps back: the 12 bits after the version count up (RFC 9562, 6.2
 * method 1) from a random start below 1,024, and the time moves one millisecond on when they run out.
 */
export function newMessageId(notBefore = 0): string {
  let ms = Math.max(Date.now(), notBefore, last.ms);
  let sequence = ms === last.ms ? last.sequence + 1 : randomBytes(2).readUInt16BE() & 0x3ff;
  if (sequence > 0xfff) {
    ms += 1;
    sequence = 0;
  }
  last = { ms, sequence };
  return messageIdAt(ms, sequence);
}

/** The UUID v7 of millisecond `ms` with `sequence` in its 12 counter bits; the last 62 bits are random, so instances never collide. */
export function messageIdAt(ms: number, sequence: number = randomBytes(2).readUInt16BE() & 0xfff): string {
  const bytes = randomBytes(16);
  bytes.writeUIntBE(ms, 0, 6);
  bytes.writeUInt16BE(0x7000 | sequence, 6);
  bytes[8] = 0x80 | (bytes[8]! & 0x3f);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
