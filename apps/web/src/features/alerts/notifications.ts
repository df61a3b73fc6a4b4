import type { AlertFiringView } from '@qt/shared';

/** The notification centre keeps at most this many firings in memory; older ones are on the Alerts page. */
export const CENTRE_SIZE = 50;

/**
 * Merges firings (the first page, then the live stream) newest first, each once: the live stream and a
 * refetched page may both carry a firing, and its read state from the later copy wins when it is read.
 */
export function mergeFirings(
  current: readonly AlertFiringView[],
  incoming: readonly AlertFiringView[],
  max = CENTRE_SIZE,
): AlertFiringView[] {
  const byId = new Map<string, AlertFiringView>();
  for (const f of current) byId.set(f.id, f);
  for (const f of incoming) {
    const had = byId.get(f.id);
    byId.set(f.id, had && had.readAt !== null && f.readAt === null ? { ...f, readAt: had.readAt } : f);
  }
  return [...byId.values()].sort((a, b) => b.at - a.at || (a.id < b.id ? 1 : -1)).slice(0, max);
}

export function unreadCount(firings: readonly AlertFiringView[]): number {
  return firings.reduce((n, f) => n + (f.readAt === null ? 1 : 0), 0);
}

/** The badge text: the count, or "99+" (the list holds fewer, but unread older ones still count). */
export function badgeText(unread: number): string | null {
  if (unread <= 0) return null;
  return unread > 99 ? '99+' : String(unread);
}

/** Firings marked read locally at `at`, before the engine confirms (it is idempotent). */
export function markedRead(
  firings: readonly AlertFiringView[],
  ids: ReadonlySet<string> | 'all',
  at: number,
): AlertFiringView[] {
  return firings.map((f) =>
    f.readAt === null && (ids === 'all' || ids.has(f.id)) ? { ...f, readAt: at } : f,
  );
}
