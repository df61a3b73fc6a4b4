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
  };
  await mkdir(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(state), { mode: 0o600 });
  await rename(tmp, file);
}
