'use client';

import { useEffect, useState } from 'react';
import { CHECKOUT_POLL_MS } from './billing-view';

/**
 * Milliseconds since the page came back from Checkout, ticking once a second while `active` (so a
 * timeout shows even when polls return nothing new). Starts at mount: the redirect's own time is unknown.
 */
export function useElapsedSince(active: boolean): number {
  const [startedAt] = useState(() => Date.now());
  const [now, setNow] = useState(startedAt);
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(() => setNow(Date.now()), CHECKOUT_POLL_MS);
    return () => clearInterval(timer);
  }, [active]);
  return now - startedAt;
}

/** Drops `?checkout=…` from the address bar once it served its purpose (a reload must not wait again). */
export function clearCheckoutParam(): void {
  const url = new URL(window.location.href);
  if (!url.searchParams.has('checkout')) return;
  url.searchParams.delete('checkout');
  window.history.replaceState(null, '', `${url.pathname}${url.search}${url.hash}`);
}
