import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseBinanceFrame, parseBinanceJson } from '../../src/venues/binance/binance-parser.ts';
import { scanBinanceTrade } from '../../src/venues/binance/binance-trade-scanner.ts';
import { parseBybitFrame, parseBybitJson } from '../../src/venues/bybit/bybit-parser.ts';
import { scanBybitTrades } from '../../src/venues/bybit/bybit-trade-scanner.ts';
import { numberEnd, uintEnd } from '../../src/venues/json-scan.ts';
import { parseOkxFrame, parseOkxJson } from '../../src/venues/okx/okx-parser.ts';
import { scanOkxTrades } from '../../src/venues/okx/okx-trade-scanner.ts';
import { GluedSymbolCache } from '../../src/venues/symbol-cache.ts';
import type { VenueMessage } from '../../src/venues/venue-adapter.ts';

/**
 * The trade-frame scanners are a fast path in front of `JSON.parse`: whatever they accept must be
 * exactly what `JSON.parse` + the general parser return for that frame, and anything the general parser
 * rejects (or reads as something other than trades) must be refused. Checked on golden frames, on
 * random frames built from the venues' shapes (valid and invalid field values, extra and missing keys,
 * other key orders, nesting, whitespace, escapes), and on those frames mutated character by character.
 */
const RT = 1_767_225_600_500;
const glued = new GluedSymbolCache();
glued.register(['BTC-USDT', 'ETH-USDT', 'SOL-USDC']);
const gluedCanonical = (s: string) => glued.canonical(s);
const okxCanonical = (s: string) => (/^[A-Z0-9]{1,20}-[A-Z0-9]{1,20}$/.test(s) ? s : null);

type Venue = 'binance' | 'okx' | 'bybit';
const full: Record<Venue, (text: string) => VenueMessage> = {
  binance: (t) => parseBinanceFrame(t, RT, gluedCanonical),
  okx: (t) => parseOkxFrame(t, RT, okxCanonical),
  bybit: (t) => parseBybitFrame(t, RT, gluedCanonical),
};
const reference: Record<Venue, (text: string) => VenueMessage> = {
  binance: (t) => parseBinanceJson(t, RT, gluedCanonical),
  okx: (t) => parseOkxJson(t, RT, okxCanonical),
  bybit: (t) => parseBybitJson(t, RT, gluedCanonical),
};
const scans: Record<Venue, (text: string) => unknown> = {
  binance: (t) => scanBinanceTrade(t, RT, gluedCanonical),
  okx: (t) => scanOkxTrades(t, RT, okxCanonical),
  bybit: (t) => scanBybitTrades(t, RT, gluedCanonical),
};

/** The property: the fast path and the general one agree; the scanner never takes a non-trades frame. */
function agree(venue: Venue, text: string): void {
  const expected = reference[venue](text);
  expect(full[venue](text)).toEqual(expected);
  if (expected.kind !== 'trades') expect(scans[venue](text)).toBeNull();
}

// Values: mostly what the venue sends, sometimes something the parser must refuse.
const decimal = fc.oneof(
  { weight: 6, arbitrary: fc.stringMatching(/^\d{1,6}(\.\d{1,8})?$/) },
  {
    weight: 1,
    arbitrary: fc.constantFrom('', '1.', '.5', '1.2.3', '-1', '1e5', '0x10', ' 1', '1,5', 'NaN', '١٢'),
  },
  { weight: 1, arbitrary: fc.oneof(fc.double(), fc.integer(), fc.constant(null), fc.boolean()) },
);
const int = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 2 ** 48 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      0,
      -1,
      1.5,
      2 ** 53,
      2 ** 53 + 2,
      999_999_999_999_999,
      1_000_000_000_000_000,
      1e21,
      -0,
    ),
  },
  { weight: 1, arbitrary: fc.oneof(fc.string(), fc.constant(null), fc.boolean(), fc.double()) },
);
const digits = fc.oneof(
  { weight: 6, arbitrary: fc.stringMatching(/^[1-9]\d{0,12}$/) },
  {
    weight: 1,
    arbitrary: fc.constantFrom('', '0', '00', '007', '123456789012345678901', '-1', '1.5', 'x'),
  },
  { weight: 1, arbitrary: fc.oneof(fc.integer(), fc.constant(null)) },
);
const extra = fc.dictionary(
  fc.constantFrom('E', 'M', 'x', 'source', 'seqId', 'L', 'BT', 'RPI', 'id', 'code', 'msg', 'result', 'event'),
  fc.oneof(fc.jsonValue({ maxDepth: 1 }), fc.string({ unit: 'binary', maxLength: 4 })),
  { maxKeys: 2 },
);

/** An object of `fields` (some dropped, `extra` added), keys shuffled or not. */
const shaped = (fields: Record<string, fc.Arbitrary<unknown>>) =>
  fc
    .tuple(fc.record(fields, { requiredKeys: Object.keys(fields) }), extra, fc.nat(20), fc.boolean())
    .map(([base, more, drop, shuffle]) => {
      const entries = Object.entries(base).filter((_, i) => (drop >= 18 ? i !== drop % 8 : true));
      const all = [...entries, ...Object.entries(more)];
      if (shuffle) all.reverse();
      return Object.fromEntries(all);
    });

const binancePayload = shaped({
  e: fc.oneof({ weight: 8, arbitrary: fc.constant('trade') }, fc.constantFrom('aggTrade', 'trades', 1)),
  E: int,
  s: fc.constantFrom('BTCUSDT', 'ETHUSDT', 'SOLUSDC', 'DOGEUSDT', 'btcusdt', '', 'X', 'BTC\u0001USDT'),
  t: int,
  p: decimal,
  q: decimal,
  T: int,
  m: fc.oneof({ weight: 8, arbitrary: fc.boolean() }, fc.constantFrom(0, 1, 'true', null)),
});
const binanceFrame = fc
  .tuple(binancePayload, fc.constantFrom('combined', 'raw', 'combined-extra'))
  .map(([d, form]) =>
    form === 'raw'
      ? d
      : form === 'combined'
        ? { stream: `${String(d.s).toLowerCase()}@trade`, data: d }
        : { data: d, stream: 'x@trade', id: 1 },
  );

const okxItem = shaped({
  instId: fc.constantFrom('BTC-USDT', 'ETH-USDT', 'BTC-USDT-SWAP', '', 'btc-usdt'),
  tradeId: digits,
  px: decimal,
  sz: decimal,
  side: fc.oneof({ weight: 8, arbitrary: fc.constantFrom('buy', 'sell') }, fc.constantFrom('Buy', '', 1)),
  ts: digits,
  count: fc.oneof(digits, fc.constant('0')),
});
const okxFrame = fc
  .tuple(
    fc.array(okxItem, { minLength: 0, maxLength: 4 }),
    fc.oneof(
      { weight: 8, arbitrary: fc.constantFrom('trades', 'trades-all') },
      fc.constantFrom('bbo-tbt', 'x'),
    ),
    fc.constantFrom('normal', 'data-first', 'event', 'no-arg'),
  )
  .map(([data, channel, form]) => {
    const arg = { channel, instId: 'BTC-USDT' };
    if (form === 'data-first') return { data, arg };
    if (form === 'event') return { event: 'subscribe', arg, data };
    if (form === 'no-arg') return { data };
    return { arg, data };
  });

const bybitItem = shaped({
  T: int,
  s: fc.constantFrom('BTCUSDT', 'ETHUSDT', 'SOLUSDC', 'XYZ', ''),
  S: fc.oneof({ weight: 8, arbitrary: fc.constantFrom('Buy', 'Sell') }, fc.constantFrom('buy', '', 0)),
  v: decimal,
  p: decimal,
  i: fc.oneof({ weight: 6, arbitrary: fc.stringMatching(/^\d{1,19}$/) }, fc.uuid(), fc.constantFrom('', 7)),
  seq: int,
});
const bybitFrame = fc
  .tuple(
    fc.array(bybitItem, { minLength: 0, maxLength: 4 }),
    fc.constantFrom('publicTrade.BTCUSDT', 'publicTrade.ETHUSDT', 'orderbook.1.BTCUSDT', 'publicTradeX'),
    fc.constantFrom('normal', 'data-first', 'no-topic'),
  )
  .map(([data, topic, form]) => {
    if (form === 'data-first') return { data, topic, ts: 1, type: 'snapshot' };
    if (form === 'no-topic') return { ts: 1, data };
    return { topic, type: 'snapshot', ts: 1672304486868, data };
  });

/** JSON text of a value: compact as the venues send it, sometimes indented or with a string escaped. */
const serialised = (value: fc.Arbitrary<unknown>) =>
  fc.tuple(value, fc.constantFrom('compact', 'compact', 'compact', 'indent', 'escape')).map(([v, how]) => {
    const text = JSON.stringify(v, null, how === 'indent' ? 1 : undefined);
    return how === 'escape' ? text.replace('USDT"', 'USD\\u0054"') : text;
  });

/** Character edits: the frames a broken or hostile peer could send. */
const edit = fc.record({
  at: fc.nat(),
  kind: fc.constantFrom('delete', 'insert', 'replace', 'truncate', 'duplicate'),
  ch: fc.constantFrom(...'"\\,:{}[] 0123456789.-+eE\n\t\u0000\u001ftrufalsn\u00e9\ud800x'.split('')),
});
const mutated = (frames: fc.Arbitrary<string>) =>
  fc.tuple(frames, fc.array(edit, { minLength: 1, maxLength: 3 })).map(([text, edits]) => {
    let t = text;
    for (const e of edits) {
      const at = e.at % (t.length + 1);
      if (e.kind === 'delete') t = t.slice(0, at) + t.slice(at + 1);
      else if (e.kind === 'insert') t = t.slice(0, at) + e.ch + t.slice(at);
      else if (e.kind === 'replace') t = t.slice(0, at) + e.ch + t.slice(at + 1);
      else if (e.kind === 'truncate') t = t.slice(0, at);
      else t = t.slice(0, at) + t.slice(at, at + 12) + t.slice(at);
    }
    return t;
  });

const frames: Record<Venue, fc.Arbitrary<string>> = {
  binance: serialised(binanceFrame),
  okx: serialised(okxFrame),
  bybit: serialised(bybitFrame),
};

const golden: Record<Venue, string[]> = {
  binance: [
    '{"stream":"btcusdt@trade","data":{"e":"trade","E":1767225600123,"s":"BTCUSDT","t":4100000000,"p":"64000.10000000","q":"0.00100000","T":1767225600120,"m":true,"M":true}}',
    '{"e":"trade","E":1767225600123,"s":"ETHUSDT","t":0,"p":"3000.5","q":"1","T":1767225600120,"m":false,"M":true}',
    '{"stream":"btcusdt@trade","data":{"e":"trade","E":1,"s":"BTCUSDT","t":12345,"p":"1.00","q":"2.00","b":88,"a":50,"T":2,"m":false,"M":true}}',
  ],
  okx: [
    '{"arg":{"channel":"trades","instId":"BTC-USDT"},"data":[{"instId":"BTC-USDT","tradeId":"130639474","px":"42219.9","sz":"0.12060306","side":"buy","ts":"1630048897897","count":"3","source":"0","seqId":1234}]}',
    '{"arg":{"channel":"trades-all","instId":"BTC-USDT"},"data":[{"instId":"BTC-USDT","tradeId":"130639474","px":"42219.9","sz":"0.12060306","side":"sell","ts":"1630048897897","source":"0"},{"instId":"BTC-USDT","tradeId":"130639475","px":"42219.8","sz":"1","side":"buy","ts":"1630048897898","source":"0"}]}',
  ],
  bybit: [
    '{"topic":"publicTrade.BTCUSDT","type":"snapshot","ts":1672304486868,"data":[{"T":1672304486865,"s":"BTCUSDT","S":"Buy","v":"0.001","p":"16578.50","L":"PlusTick","i":"20f43950-d8dd-5b31-9112-a178eb6023af","BT":false}]}',
    '{"topic":"publicTrade.BTCUSDT","type":"snapshot","ts":1672304486868,"data":[{"T":1672304486865,"s":"BTCUSDT","S":"Sell","v":"0.001","p":"16578.50","i":"2290000000061666327","BT":false,"seq":1783284617},{"T":1672304486865,"s":"BTCUSDT","S":"Buy","v":"2","p":"16578.5","i":"2290000000061666328","BT":false,"RPI":true,"seq":1783284618}]}',
  ],
};

describe('trade-frame scanners', () => {
  for (const venue of ['binance', 'okx', 'bybit'] as const) {
    describe(venue, () => {
      it('take the golden frames, with the general parser’s answer', () => {
        for (const g of golden[venue]) {
          expect(scans[venue](g)).not.toBeNull();
          agree(venue, g);
        }
      });

      it('agree with JSON.parse + the parser on random frames', () => {
        fc.assert(
          fc.property(frames[venue], (text) => agree(venue, text)),
          { numRuns: 2_000 },
        );
      }, 60_000);

      it('agree with JSON.parse + the parser on mutated frames', () => {
        fc.assert(
          fc.property(mutated(fc.oneof(frames[venue], fc.constantFrom(...golden[venue]))), (text) =>
            agree(venue, text),
          ),
          { numRuns: 3_000 },
        );
      }, 60_000);

      it('refuse adversarial frames the general parser rejects or reads otherwise', () => {
        const g = golden[venue][0] as string;
        const cases = [
          `${g} `,
          ` ${g}`,
          `${g}x`,
          `${g}}`,
          g.slice(0, -1),
          g.slice(0, -2),
          g.replace(':', ': '),
          g.replace(',', ',,'),
          g.replace(',"', ',"":0,"'),
          g.replaceAll('"', "'"),
          g.replace('USDT', 'US\\u0044T'),
          g.replace('USDT', 'US\nDT'),
          g.replace('"1', '"01'),
          g.replace(':1', ':01'),
          g.replace(':1', ':-1'),
          g.replace(':1', ':1.0'),
          g.replace(':1', ':1e3'),
          g.replace(':1', ':12345678901234567890'),
          g.replace(/:(true|false)/, ':tru'),
          g.replace('{', '{"__proto__":{"x":1},'),
          g.replace('"data":', '"data":null,"data":'),
          g.replace('"data":', '"x":{"y":[1,{}]},"data":'),
          '',
          '{',
          '{}',
          '[]',
          'null',
          'pong',
        ];
        for (const c of cases) agree(venue, c);
      });
    });
  }

  it('repeated fields: JSON.parse keeps the last, the scanners refuse them', () => {
    const b = golden.binance[1] as string;
    agree('binance', b.replace('"p":"3000.5"', '"p":"1","p":"3000.5"'));
    expect(scanBinanceTrade(b.replace('"t":0', '"t":1,"t":0'), RT, gluedCanonical)).toBeNull();
    const o = golden.okx[0] as string;
    expect(
      scanOkxTrades(o.replace('"side":"buy"', '"side":"sell","side":"buy"'), RT, okxCanonical),
    ).toBeNull();
    agree('okx', o.replace('"side":"buy"', '"side":"sell","side":"buy"'));
    const y = golden.bybit[1] as string;
    expect(scanBybitTrades(y.replace('"S":"Sell"', '"S":"Buy","S":"Sell"'), RT, gluedCanonical)).toBeNull();
    agree('bybit', y.replace('"S":"Sell"', '"S":"Buy","S":"Sell"'));
  });
});

describe('json-scan readers', () => {
  it('numberEnd accepts exactly the JSON number grammar', () => {
    const accepts = (s: string) => numberEnd(`${s},`, 0) === s.length;
    fc.assert(
      fc.property(fc.stringMatching(/^-?[0-9.eE+-]{0,6}$/), (s) => {
        let json = true;
        try {
          json = typeof JSON.parse(s) === 'number';
        } catch {
          json = false;
        }
        expect(accepts(s)).toBe(json);
      }),
      { numRuns: 5_000 },
    );
  }, 60_000);

  it('uintEnd takes plain integers up to 15 digits, and nothing past the end of the text', () => {
    expect(uintEnd('0', 0)).toBe(1);
    expect(uintEnd('123', 0)).toBe(3);
    expect(uintEnd('999999999999999,', 0)).toBe(15);
    expect(uintEnd('1000000000000000,', 0)).toBe(-1);
    expect(uintEnd('01', 0)).toBe(-1);
    expect(uintEnd('1.5', 0)).toBe(-1);
    expect(uintEnd('1e5', 0)).toBe(-1);
    expect(uintEnd('', 0)).toBe(-1);
    expect(uintEnd('7', 1)).toBe(-1);
  });
});
