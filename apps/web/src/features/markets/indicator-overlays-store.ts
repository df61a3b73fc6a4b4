'use client';

import { useCallback, useSyncExternalStore } from 'react';
import { z } from 'zod';
import { type Overlay, overlayKinds } from './indicator-overlays';

const STORAGE_KEY = 'qt.chart-overlays.v1';

const storedSchema = z
  .array(
    z.strictObject({
      id: z.string().min(1).max(40),
      kind: z.enum(overlayKinds),
      params: z.record(z.string(), z.number()),
      color: z.string().regex(/^#[0-9a-f]{6}$/i),
    }),
  )
  .max(12);

/**
 * The overlays saved in this browser. Local storage is input like any other (another version of the app,
 * or a person, may have written it): anything that does not parse is ignored, not trusted.
 */
export function parseStoredOverlays(text: string | null): Overlay[] {
  if (!text) return [];
  try {
    const parsed = storedSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : [];
  } catch {
    return [];
  }
}

const listeners = new Set<() => void>();
let cache: { text: string | null; overlays: Overlay[] } = { text: null, overlays: [] };
const EMPTY: Overlay[] = [];

function read(): Overlay[] {
  const text = window.localStorage.getItem(STORAGE_KEY);
  if (text !== cache.text) cache = { text, overlays: parseStoredOverlays(text) };
  return cache.overlays;
}

function subscribe(listener: () => void) {
  listeners.add(listener);
  // Another tab changed them: follow it.
  const onStorage = (e: StorageEvent) => e.key === STORAGE_KEY && listener();
  window.addEventListener('storage', onStorage);
  return () => {
    listeners.delete(listener);
    window.removeEventListener('storage', onStorage);
  };
}

/**
 * The chart's overlays, kept in local storage: they stay when the symbol or interval changes (the chart
 * panel is remounted then) and across reloads, on the Markets and Trade charts alike.
 */
export function useIndicatorOverlays(): [Overlay[], (next: Overlay[]) => void] {
  const overlays = useSyncExternalStore(subscribe, read, () => EMPTY);
  const set = useCallback((next: Overlay[]) => {
    try {
      window.localStorage.setItem(STORAGE_KEY, JSON.stringify(next));
    } catch {
      // Storage full or disabled (private mode): the overlays just do not outlive the page.
      cache = { text: JSON.stringify(next), overlays: next };
    }
    for (const l of listeners) l();
  }, []);
  return [overlays, set];
}
