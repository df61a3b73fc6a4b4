/**
 * Depth messages copied from the venues' documentation examples (Binance Spot WebSocket Streams "Diff.
 * Depth Stream" and REST "Order book"; OKX v5 "Order book channel" push example and "Checksum" section;
 * Bybit v5 "Orderbook" snapshot and delta examples), trimmed where the docs elide levels with "...".
 */
export const binanceDiffDoc =
  '{"e":"depthUpdate","E":1672515782136,"s":"BNBBTC","U":157,"u":160,"b":[["0.0024","10"]],"a":[["0.0026","100"]]}';

export const binanceSnapshotDoc =
  '{"lastUpdateId":1027024,"bids":[["4.00000000","431.00000000"]],"asks":[["4.00000200","12.00000000"]]}';

export const okxSnapshotDoc = JSON.stringify({
  arg: { channel: 'books', instId: 'BTC-USDT' },
  action: 'snapshot',
  data: [
    {
      asks: [
        ['8476.98', '415', '0', '13'],
        ['8477', '7', '0', '2'],
        ['8477.34', '85', '0', '1'],
        ['8477.56', '1', '0', '1'],
        ['8505.84', '8', '0', '1'],
        ['8506.37', '85', '0', '1'],
        ['8506.49', '2', '0', '1'],
        ['8506.96', '100', '0', '2'],
      ],
      bids: [
        ['8476.97', '256', '0', '12'],
        ['8475.55', '101', '0', '1'],
        ['8475.54', '100', '0', '1'],
        ['8475.3', '1', '0', '1'],
        ['8447.32', '6', '0', '1'],
        ['8447.02', '246', '0', '1'],
        ['8446.83', '24', '0', '1'],
        ['8446', '95', '0', '3'],
      ],
      ts: '1597026383085',
      checksum: -855196043,
      prevSeqId: -1,
      seqId: 123456,
    },
  ],
});

/** The checksum section's two books and check strings. */
export const okxChecksumDoc = [
  {
    bids: [
      ['3366.1', '7', '0', '3'],
      ['3366', '6', '3', '4'],
    ],
    asks: [
      ['3366.8', '9', '10', '3'],
      ['3368', '8', '3', '4'],
    ],
    text: '3366.1:7:3366.8:9:3366:6:3368:8',
  },
  {
    bids: [['3366.1', '7', '0', '3']],
    asks: [
      ['3366.8', '9', '10', '3'],
      ['3368', '8', '3', '4'],
      ['3372', '8', '3', '4'],
    ],
    text: '3366.1:7:3366.8:9:3368:8:3372:8',
  },
] as const;

export const bybitSnapshotDoc = JSON.stringify({
  topic: 'orderbook.50.BTCUSDT',
  type: 'snapshot',
  ts: 1672304484978,
  data: {
    s: 'BTCUSDT',
    b: [
      ['16493.50', '0.006'],
      ['16493.00', '0.100'],
    ],
    a: [
      ['16611.00', '0.029'],
      ['16612.00', '0.213'],
    ],
    u: 18521288,
    seq: 7961638724,
  },
  cts: 1672304484976,
});

export const bybitDeltaDoc = JSON.stringify({
  topic: 'orderbook.50.BTCUSDT',
  type: 'delta',
  ts: 1687940967466,
  data: {
    s: 'BTCUSDT',
    b: [
      ['16493.50', '0'],
      ['16493.00', '0.200'],
    ],
    a: [['16611.00', '0.001']],
    u: 18521289,
    seq: 7961638725,
  },
  cts: 1687940967464,
});
