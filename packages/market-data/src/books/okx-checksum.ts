import type { OrderBook } from './order-book.ts';

/**
 * OKX `books` checksum (docs-v5, "Checksum" under the order book channel, 2025): take the best 25 bids
 * and the best 25 asks, interleave them `bid1px:bid1sz:ask1px:ask1sz:bid2px:...` (a side with fewer than
 * 25 levels simply runs out and the other continues), using the price and size STRINGS exactly as OKX
 * sent them, and take the CRC32 (IEEE, as zlib) of that text as a signed 32-bit integer.
 * Docs' example: bids 3366.1/7, 3366/6, asks 3366.8/9, 3368/8 -> "3366.1:7:3366.8:9:3366:6:3368:8".
 */

export const OKX_CHECKSUM_LEVELS = 25;

const TABLE = new Int32Array(256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  TABLE[n] = c;
}

/** Feeds the (ASCII) characters of `s` into a running CRC register; no string is built. */
function feed(crc: number, s: string): number {
  for (let i = 0; i < s.length; i++) crc = (TABLE[(crc ^ s.charCodeAt(i)) & 0xff] as number) ^ (crc >>> 8);
  return crc;
}

const COLON = ':';

/** CRC32 of a string as a signed int32 (for tests and the reference check). */
export function crc32Signed(s: string): number {
  return ~feed(-1, s) | 0;
}

/** The checksum string itself (tests, diagnostics). */
export function okxChecksumString(book: OrderBook, levels = OKX_CHECKSUM_LEVELS): string {
  const parts: string[] = [];
  for (let r = 0; r < levels; r++) {
    const b = book.text('bid', r);
    if (b) parts.push(b[0], b[1]);
    const a = book.text('ask', r);
    if (a) parts.push(a[0], a[1]);
  }
  return parts.join(':');
}

/** The checksum over the book's top levels, computed straight from its arrays (no allocation). */
export function okxChecksum(book: OrderBook, levels = OKX_CHECKSUM_LEVELS): number {
  const bids = book.levelsOf('bid');
  const asks = book.levelsOf('ask');
  const nb = bids.length;
  const na = asks.length;
  let crc = -1;
  let first = true;
  for (let r = 0; r < levels; r++) {
    const bi = nb - 1 - r;
    const ai = na - 1 - r;
    if (bi < 0 && ai < 0) break;
    if (bi >= 0) {
      if (!first) crc = feed(crc, COLON);
      const l = bids[bi] as { priceText: string; qtyText: string };
      crc = feed(crc, l.priceText);
      crc = feed(feed(crc, COLON), l.qtyText);
      first = false;
    }
    if (ai >= 0) {
      if (!first) crc = feed(crc, COLON);
      const l = asks[ai] as { priceText: string; qtyText: string };
      crc = feed(crc, l.priceText);
      crc = feed(feed(crc, COLON), l.qtyText);
      first = false;
    }
  }
  return ~crc | 0;
}
