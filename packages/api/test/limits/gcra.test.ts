import { describe } from 'vitest';
import { MemoryBuckets } from '../../src/limits/gcra.ts';
import { bucketCases } from './bucket-cases.ts';

describe('GCRA buckets in memory (the embedded default and the Redis-down fallback)', () => {
  bucketCases((clock) => new MemoryBuckets(() => clock.now()));
});
