import type { Subscription, VenueAdapter } from '@qt/market-data';
import WebSocket from 'ws';

export interface RawSocket {
  close(): Promise<void>;
}

/**
 * The socket a feed would open for `symbols`' trades at `wsBase` (the adapter's own connect URL and
 * subscribe requests, so the venue sends exactly the frames the feed gets), with every frame handed over
 * raw, as the Buffer `ws` delivers: no decoding, no parsing. Resolves once the socket is open and the
 * requests are sent.
 */
export async function openRawSocket(
  adapter: VenueAdapter,
  wsBase: string,
  symbols: readonly string[],
  onFrame: (data: Buffer) => void,
): Promise<RawSocket> {
  const subs: Subscription[] = symbols.map((symbol) => ({ symbol, channel: 'trades' }));
  const { url, pending } = adapter.connectUrl(wsBase, subs);
  let id = 0;
  const requests = pending.length > 0 ? adapter.subscribeRequests(pending, () => ++id) : [];
  const ws = new WebSocket(url, { perMessageDeflate: false });
  ws.on('message', (data, isBinary) => {
    if (!isBinary) onFrame(data as Buffer);
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  ws.on('error', () => {});
  for (const r of requests) ws.send(r.text);
  return {
    close: () =>
      new Promise<void>((resolve) => {
        if (ws.readyState === WebSocket.CLOSED) return resolve();
        ws.once('close', () => resolve());
        ws.terminate();
      }),
  };
}

/** Occurrences of `needle` in `buf` (native `indexOf`, no decoding). */
export function countOf(buf: Buffer, needle: Buffer): number {
  let n = 0;
  let at = buf.indexOf(needle);
  while (at >= 0) {
    n++;
    at = buf.indexOf(needle, at + needle.length);
  }
  return n;
}

/** The unsigned integer right after the first `key` in `buf` (digits, an optional quote skipped); NaN if none. */
export function integerAfter(buf: Buffer, key: Buffer): number {
  const at = buf.indexOf(key);
  if (at < 0) return Number.NaN;
  let i = at + key.length;
  if (buf[i] === 34) i++; // OKX quotes its numbers
  let v = 0;
  const start = i;
  for (; i < buf.length; i++) {
    const c = buf[i] as number;
    if (c < 48 || c > 57) break;
    v = v * 10 + (c - 48);
  }
  return i === start ? Number.NaN : v;
}
