/**
 * The page-latency part of `npm run bench`: `GET /messages` (100 a page) through the local HTTP API with
 * 1,000, 10,000 and 100,000 messages stored. Messages are seeded straight into the target's EFS folder
 * (what the function itself would write, one every 50 ms going back in time), and each size is measured
 * on pages that start at random stored messages. Goal: a page at 100k costs at most twice a page at 1k.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Agent, request } from 'undici';
import { messageIdAt, messagePath } from '../../../handler/message-ids.ts';
import { encodeCursor } from '../../../handler/paging.ts';

export const STORE_SIZES = [1_000, 10_000, 100_000] as const;
const PAGES_PER_SIZE = 300;
const WARMUP_PAGES = 30;
const SPACING_MS = 50;
const SEED_CONCURRENCY = 64;

export interface PageLatency {
  readonly stored: number;
  readonly median: number;
  readonly p95: number;
}

export interface PageLatencyResult {
  readonly limit: number;
  readonly sizes: PageLatency[];
  /** p50 at 100k / p50 at 1k. */
  readonly ratioMedian: number;
}

type Stats = (samples: number[]) => { median: number; p95: number };

/** Seeds and measures on `efsDir` behind `apiUrl`; the folder is the target's and goes with its teardown. */
export async function benchPageLatency(apiUrl: string, efsDir: string, stats: Stats): Promise<PageLatencyResult> {
  const agent = new Agent({ keepAliveTimeout: 10_000, connections: 1 });
  const newest = Date.now() - 3_600_000;
  const ids: string[] = [];
  const sizes: PageLatency[] = [];
  try {
    for (const size of STORE_SIZES) {
      await seed(efsDir, newest, ids, size);
      // Cursors at random stored messages, none in the last page, so that every page is a full one.
      const sorted = [...ids].sort();
      const cursorAt = () => encodeCursor(`T${sorted[Math.floor(Math.random() * (sorted.length - 100))]!}`);
      const page = async (): Promise<number> => {
        const started = performance.now();
        const res = await request(`${apiUrl}/messages?cursor=${cursorAt()}`, { dispatcher: agent });
        const body = (await res.body.json()) as { messages?: unknown[] };
        if (res.statusCode !== 200 || body.messages?.length !== 100) throw new Error(`GET /messages with ${size} stored answered ${res.statusCode} with ${body.messages?.length} messages`);
        return performance.now() - started;
      };
      for (let i = 0; i < WARMUP_PAGES; i++) await page();
      const samples: number[] = [];
      for (let i = 0; i < PAGES_PER_SIZE; i++) samples.push(await page());
      sizes.push({ stored: size, ...stats(samples) });
    }
  } finally {
    await agent.close();
  }
  return { limit: 100, sizes, ratioMedian: sizes.at(-1)!.median / sizes[0]!.median };
}

/** Adds messages, going back in time from the oldest already stored, until `ids` holds `size` of them. */
async function seed(efsDir: string, newest: number, ids: string[], size: number): Promise<void> {
  const batch = Array.from({ length: size - ids.length }, (_, i) => {
    const ms = newest - (ids.length + i) * SPACING_MS;
    const id = messageIdAt(ms);
    return { id, text: `seeded message ${ids.length + i}`, createdAt: new Date(ms).toISOString() };
  });
  for (const folder of new Set(batch.map((m) => path.dirname(messagePath(m.id))))) await mkdir(path.join(efsDir, folder), { recursive: true });
  for (let i = 0; i < batch.length; i += SEED_CONCURRENCY) {
    await Promise.all(batch.slice(i, i + SEED_CONCURRENCY).map((m) => writeFile(path.join(efsDir, messagePath(m.id)), JSON.stringify(m))));
  }
  ids.push(...batch.map((m) => m.id));
}
