import { type BinanceDepthSnapshot, OrderBook } from '@qt/market-data';
import { AMOUNT_SCALE, type Instrument, ManualClock, parseScaled } from '@qt/shared';
import { type MatchingEvent, type PaperFill, PaperMatchingEngine, parseAmount } from '@qt/trading';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { VenueBooks } from '../../src/market/depth/venue-books.ts';
import { BOOK_FRESH_MS, bookDepthSource, type LiveBooks } from '../../src/trading/book-depth.ts';

const u = (s: string) => parseScaled(s, AMOUNT_SCALE);

describe('bookDepthSource', () => {
  const book = new OrderBook();
  book.apply('ask', '101.5', '0.30');
  book.apply('ask', '101.25', '2');
  book.apply('bid', '100.75', '1.5');
  book.apply('bid', '100.9', '0.001');
  let live = true;
  let resets = 7;
  let age = 0;
  const source = bookDepthSource(
    {
      liveBook: (venue, symbol) => (live && venue === 'binance' && symbol === 'BTC-USDT' ? book : null),
      bookResets: () => resets,
      bookAgeMs: () => age,
    },
    'binance',
    'BTC-USDT',
  );

  it('serves the live book best first, in exact units of 10^-18, with its reset count', () => {
    const view = source();
    expect(view?.resets).toBe(7);
    expect([...(view?.levels('ask') ?? [])]).toEqual([
      { price: u('101.25'), quantity: u('2') },
      { price: u('101.5'), quantity: u('0.3') },
    ]);
    expect([...(view?.levels('bid') ?? [])]).toEqual([
      { price: u('100.9'), quantity: u('0.001') },
      { price: u('100.75'), quantity: u('1.5') },
    ]);
    resets = 8;
    expect(source()?.resets).toBe(8);
  });

  it('says whether the book heard from the venue within BOOK_FRESH_MS', () => {
    age = BOOK_FRESH_MS;
    expect(source()?.fresh).toBe(true);
    age = BOOK_FRESH_MS + 1;
    expect(source()?.fresh).toBe(false);
    age = Number.POSITIVE_INFINITY;
    expect(source()?.fresh).toBe(false);
    age = 0;
  });

  it('serves nothing while the book is not live', () => {
    live = false;
    expect(source()).toBeNull();
    live = true;
    expect(source()).not.toBeNull();
  });
});

const BTC: Instrument = {
  venue: 'binance',
  symbol: 'BTC-USDT',
  venueSymbol: 'BTCUSDT',
  base: 'BTC',
  quote: 'USDT',
  tickSize: '0.01',
  lotSize: '0.001',
  minNotional: '5',
  status: 'trading',
};

/**
 * The engine's path without sockets: Binance depth frames into the venue's synchroniser (VenueBooks), its
 * live book through bookDepthSource (as DepthService serves it) into the matcher's walk.
 */
function engineBooks() {
  const clock = new ManualClock(1_000);
  const snapshots: BinanceDepthSnapshot[] = [];
  const books = new VenueBooks({
    venue: 'binance',
    symbols: ['BTC-USDT'],
    clock,
    logger: pino({ level: 'silent' }),
    staleAfterMs: 30_000,
    snapshots: {
      stats: { requests: 0, throttled: 0 },
      fetch: async () => {
        const s = snapshots.shift();
        if (s === undefined) throw new Error('no snapshot queued');
        return s;
      },
    },
  });
  let id = 10;
  const diff = (asks: Array<[string, string]>, bids: Array<[string, string]> = []) => {
    id++;
    books.onFrame(
      'BTC-USDT',
      {
        venue: 'binance',
        event: { symbol: 'BTCUSDT', eventTime: clock.now(), firstId: id, lastId: id, asks, bids },
      },
      clock.now(),
    );
  };
  /** A snapshot taken now (the diff that asks for it comes first, as on the wire). */
  const snapshot = async (asks: Array<[string, string]>, bids: Array<[string, string]>) => {
    snapshots.push({ lastUpdateId: id + 1, asks, bids });
    diff([]);
    await waitUntil(() => books.liveBook('BTC-USDT') !== null);
  };
  const live: LiveBooks = {
    liveBook: (_v, s) => books.liveBook(s),
    bookResets: (_v, s) => books.resets(s),
    bookAgeMs: (_v, s) => clock.now() - books.lastFrameAt(s),
  };
  const events: MatchingEvent[] = [];
  const matcher = new PaperMatchingEngine({ clock, onEvent: (e) => events.push(e) });
  matcher.setInstrument(BTC);
  matcher.setDepthSource('binance', 'BTC-USDT', bookDepthSource(live, 'binance', 'BTC-USDT'));
  matcher.onQuote({
    venue: 'binance',
    symbol: 'BTC-USDT',
    bidPrice: '100.00',
    bidSize: '1',
    askPrice: '101.00',
    askSize: '0.5',
    exchangeTime: clock.now(),
    receiveTime: clock.now(),
  });
  let n = 0;
  const buy = (quantity: string) => {
    const o = matcher.placeOrder({
      orderId: `o${++n}`,
      accountId: 'acc',
      venue: 'binance',
      symbol: 'BTC-USDT',
      side: 'buy',
      type: 'market',
      quantity: parseAmount(quantity),
    });
    return events
      .filter(
        (e): e is MatchingEvent & { fill: PaperFill } => e.type === 'orderFilled' && e.order.id === o.id,
      )
      .map((e) => [e.fill.price, e.fill.quantity, e.fill.pricedBy]);
  };
  return { clock, books, diff, snapshot, buy };
}

async function waitUntil(ok: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !ok(); i++) await new Promise((r) => setTimeout(r, 1));
  if (!ok()) throw new Error('condition not reached');
}

const ASKS: Array<[string, string]> = [
  ['101.00', '0.5'],
  ['101.02', '0.3'],
  ['101.05', '1'],
];

describe('takers on the engine book across depth frames', () => {
  it('two orders across a frame that does not touch the levels taken: the second does not retake them', async () => {
    const e = engineBooks();
    await e.snapshot(ASKS, [['100.00', '1']]);
    expect(e.buy('0.6')).toEqual([
      [u('101'), u('0.5'), 'book'],
      [u('101.02'), u('0.1'), 'book'],
    ]);
    // 100 ms later the venue's next frame: another level changed, 101.00 and 101.02 did not.
    e.clock.advance(100);
    e.diff([['101.05', '0.7']]);
    expect(e.buy('0.3')).toEqual([
      [u('101.02'), u('0.2'), 'book'],
      [u('101.05'), u('0.1'), 'book'],
    ]);
    // A frame that changes a level taken from: that level's size is the venue's word again.
    e.clock.advance(100);
    e.diff([['101.02', '0.4']]);
    expect(e.buy('0.5')).toEqual([
      [u('101.02'), u('0.4'), 'book'],
      [u('101.05'), u('0.1'), 'book'],
    ]);
  });

  it('a lost socket and the next snapshot reset the book: what was taken is forgotten', async () => {
    const e = engineBooks();
    await e.snapshot(ASKS, [['100.00', '1']]);
    const before = e.books.resets('BTC-USDT');
    e.buy('0.8');
    e.books.onSocketDown(['BTC-USDT']);
    expect(e.books.resets('BTC-USDT')).toBe(before + 1);
    await e.snapshot(
      [
        ['101.02', '0.3'],
        ['101.05', '1'],
      ],
      [['100.00', '1']],
    );
    expect(e.books.resets('BTC-USDT')).toBe(before + 2);
    // The quote's top (101.00) is gone from the new book: the walk starts at the next level, untaken.
    expect(e.buy('0.3')).toEqual([[u('101.02'), u('0.3'), 'book']]);
  });

  it('a book silent for longer than BOOK_FRESH_MS is walked only while its best is the quote', async () => {
    const e = engineBooks();
    await e.snapshot(ASKS, [['100.00', '1']]);
    e.clock.advance(BOOK_FRESH_MS + 1);
    expect(e.buy('0.1')).toEqual([[u('101'), u('0.1'), 'book']]);
    e.diff([['101.00', '0']]);
    e.clock.advance(BOOK_FRESH_MS + 1);
    // The book says 101.02 is best, the quote (newer, from the trade socket) still says 101.00.
    expect(e.buy('0.1')).toEqual([[u('101'), u('0.1'), 'quote']]);
  });
});
