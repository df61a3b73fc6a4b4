import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { CardBehaviour, Ctx, SubscriptionState } from './context.ts';
import type { StoreSnapshot } from './store.ts';

/** What a state file holds: the store and the billing state Stripe keeps beside its objects. */
interface SavedState {
  version: 1;
  objects: StoreSnapshot;
  cards: [string, CardBehaviour][];
  subscriptions: [string, SubscriptionState][];
  balanceOwners: [string, string | null][];
  /** Absent in files written before `GET /v1/account` existed: the emulator keeps the id it started with. */
  platform?: { id: string; created: number };
}

/** Loads `file` into `ctx` when it exists; false when there is none. A malformed file is an error. */
export function loadState(ctx: Ctx, file: string): boolean {
  if (!existsSync(file)) return false;
  const saved = JSON.parse(readFileSync(file, 'utf8')) as Partial<SavedState>;
  if (saved.version !== 1 || typeof saved.objects !== 'object' || saved.objects === null)
    throw new Error(`${file}: not a Stripe emulator state file (version 1)`);
  ctx.store.restore(saved.objects);
  ctx.cards = new Map(saved.cards ?? []);
  ctx.subscriptions = new Map(saved.subscriptions ?? []);
  ctx.balanceOwners = new Map(saved.balanceOwners ?? []);
  if (saved.platform && typeof saved.platform.id === 'string' && saved.platform.id.startsWith('acct_'))
    ctx.platform = { id: saved.platform.id, created: Number(saved.platform.created) || ctx.platform.created };
  return true;
}

/** Writes the state atomically (a temporary file renamed over the old one): a crash leaves one or the other. */
export async function saveState(ctx: Ctx, file: string): Promise<void> {
  const state: SavedState = {
    version: 1,
    objects: ctx.store.snapshot(),
    cards: [...ctx.cards],
    subscriptions: [...ctx.subscriptions],
    balanceOwners: [...ctx.balanceOwners],
    platform: ctx.platform,
  };
  await mkdir(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(state), { mode: 0o600 });
  await rename(tmp, file);
}

/** How long after the first unsaved change the state is written: a crash loses at most about this much. */
export const SAVE_DELAY_MS = 1_000;

export interface StatePersister {
  /** A change happened: the state is written within SAVE_DELAY_MS (one write for a burst of changes). */
  changed(): void;
  /** Writes now (waits for a write in flight first); later changes are still scheduled. */
  flush(): Promise<void>;
  /** No more scheduled writes; waits for one in flight. */
  close(): Promise<void>;
}

/**
 * Saves the state after changes, not only at stop: the first change arms a timer, the write (atomic,
 * see saveState) runs when it fires and covers every change up to that moment. Writes never overlap
 * (they share one temporary file name); a change during a write arms the timer again. A failed write
 * is reported and retried with the next change or at stop.
 */
export function startStatePersister(
  ctx: Ctx,
  file: string,
  onError: (err: unknown) => void,
  delayMs = SAVE_DELAY_MS,
): StatePersister {
  let timer: NodeJS.Timeout | undefined;
  let writing: Promise<void> = Promise.resolve();
  let closed = false;
  const write = () => {
    timer = undefined;
    writing = writing.then(() => saveState(ctx, file)).catch(onError);
    return writing;
  };
  return {
    changed() {
      if (closed || timer) return;
      timer = setTimeout(() => void write(), delayMs);
      timer.unref();
    },
    flush() {
      clearTimeout(timer);
      return write();
    },
    async close() {
      closed = true;
      clearTimeout(timer);
      timer = undefined;
      await writing;
    },
  };
}
