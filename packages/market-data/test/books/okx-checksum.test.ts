import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { crc32Signed, okxChecksum, okxChecksumString } from '../../src/books/okx-checksum.ts';
import { OrderBook } from '../../src/books/order-book.ts';
import { okxChecksumDoc } from './golden-frames.ts';

/** The reference: zlib's CRC32 of the text, read as a signed 32-bit integer. */
const reference = (s: string) => crc32(s) | 0;

describe('OKX checksum', () => {
  it('builds the docs example strings and their CRC32 as OKX does', () => {
    for (const ex of okxChecksumDoc) {
      const b = new OrderBook();
      for (const [p, q] of ex.bids) b.apply('bid', p, q);
      for (const [p, q] of ex.asks) b.apply('ask', p, q);
      expect(okxChecksumString(b)).toBe(ex.text);
      expect(okxChecksum(b)).toBe(reference(ex.text));
    }
    // The values OKX published with these examples (v3 docs, same algorithm).
    expect(crc32Signed('3366.1:7:3366.8:9:3366:6:3368:8')).toBe(-1881014294);
    expect(crc32Signed('3366.1:7:3366.8:9:3368:8:3372:8')).toBe(831078360);
  });

  it('uses the strings as sent and only the top 25 levels', () => {
    const a = new OrderBook();
    const b = new OrderBook();
    a.apply('bid', '1.10', '2');
    b.apply('bid', '1.1', '2');
    expect(okxChecksum(a)).not.toBe(okxChecksum(b));
    const deep = new OrderBook();
    for (let i = 0; i < 30; i++) {
      deep.apply('bid', String(1000 - i), '1');
      deep.apply('ask', String(1001 + i), '1');
    }
    const before = okxChecksum(deep);
    deep.apply('bid', '960', '9'); // level 41: outside the top 25
    expect(okxChecksum(deep)).toBe(before);
    expect(okxChecksum(deep)).toBe(reference(okxChecksumString(deep)));
    expect(okxChecksumString(deep).split(':')).toHaveLength(100);
  });
});
