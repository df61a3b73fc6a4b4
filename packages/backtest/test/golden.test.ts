import { describe, expect, it } from 'vitest';
import { GOLDEN_SCENARIOS, sha256 } from './fixtures/golden-scenarios.ts';

/**
 * sha256 of each scenario's serialized result and of what its driver saw, recorded before the replay and
 * matcher hot paths were optimised. A speed-up must not move a byte; a hash that changes means results
 * changed: explain why in review rather than updating the table silently.
 */
const GOLDEN: Record<string, string> = {
  'sma crossover, 2,000 candles (determinism)':
    '9c0842a681c42ca91c61285c85631f8f6a02bd28f6514394c6158d142691a27c',
  'sma crossover walking past the quote, eager and lazy quotes':
    'ad0f6f104445a26eb669e7887aee4d04183fce7fe296abc4198d919d3c13008b',
  'random limits, stops and cancels, 1,000 candles':
    'b4d99e0166172988ef17c4e584e4744fa78e84f2443fe06c1154d6d9f8c0c3b7',
  'random orders with both assets funded (ledger conservation)':
    'b3b44788e614c5bfb1beb4e5da64081fea85b5fdae6d7426879577350100b5cd',
  'random orders with a 20 s latency, eager and lazy quotes':
    '7ca0f0406f251fb67d3221998bf78e89053c04b0d9e229eadc08d66b9d47b7ce',
  'two instruments with gaps, timers, a 5 s latency, no spread':
    '4970ee2ae4fb210497415394a68d6ab4c87a51bd903e113a7390129d9398ea40',
  'a ledger refusal mid-run (market orders arriving 45 s late)':
    '55031f2474a5eb0a59a9d628fbe714171aec31071786b21d1f6c50fce254ca45',
  'a whole-unit tick, long volumes, custom fees and slippage, a wide spread':
    '0b8d74c5c2b0da5882943b6c916fb7c4a6812d162e410d9e7cd809c0fff42f82',
  'klines cut from trades, in candles mode':
    '9bb6d8d97151c9ef1a1535825d930ef25a8a46ea4cb2bb61c323198162f3632c',
  'trades mode, two instruments, random orders':
    '655851e32d02a696b851c0b396c1d257ec9f559f5a0e74f2a3782cd06eff2904',
  'scripted: no look-ahead, a stop, a cancel, a round trip, risk refusals':
    'bb895eb3fdcd084a880c3b227fbb94ce72c1031c7599e704b5638b0d29b4a9d8',
  'the benchmark: TS SMA crossover over 100,000 bench candles':
    '86ff48af5122f565d558b57809d83a064ec984356d148d7ee7ae36ba359046b7',
};

describe('golden results', () => {
  for (const s of GOLDEN_SCENARIOS) {
    it(`keeps the bytes of: ${s.name}`, async () => {
      const hash = sha256(await s.run(1));
      expect(hash).toBe(GOLDEN[s.name]);
    }, 60_000);
  }
});
