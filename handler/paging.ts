import { ApiError, quoteInput } from './http.ts';
import { isPosition, type Position } from './messages.ts';

/** The query of `GET /messages`: `limit` and the opaque `cursor` a previous page gave as `next`. */

export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 1000;

/** `limit` as a whole number from 1 to 1,000; absent means 100. */
export function pageLimit(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_LIMIT;
  const limit = /^[0-9]{1,4}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(limit >= 1 && limit <= MAX_LIMIT)) {
    throw new ApiError(400, 'invalid_limit', `limit ${quoteInput(raw)} is not a whole number from 1 to ${MAX_LIMIT}; leave it out for ${DEFAULT_LIMIT}.`);
  }
  return limit;
}

/** Opaque to clients: base64url of a position, so that the layout behind it may change. */
export function encodeCursor(position: Position): string {
  return Buffer.from(position, 'latin1').toString('base64url');
}

export function decodeCursor(cursor: string): Position {
  const position = Buffer.from(cursor, 'base64url').toString('latin1');
  // Re-encoding must give the same text: Node's decoder skips characters it does not know.
  if (!isPosition(position) || encodeCursor(position) !== cursor) {
    throw new ApiError(400, 'invalid_cursor', `cursor ${quoteInput(cursor)} is not one this API gave out; pass the "next" of the previous page unchanged, or leave cursor out to start from the oldest message.`);
  }
  return position;
}
