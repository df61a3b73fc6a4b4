import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, logFormat } from '../../src/observability/logger.ts';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n')) if (line) lines.push(JSON.parse(line));
      done();
    },
  });
  return { lines, destination };
}

describe('the engine logger', () => {
  it('picks pretty on a terminal, JSON otherwise, and obeys LOG_FORMAT', () => {
    expect(logFormat({}, true)).toBe('pretty');
    expect(logFormat({}, false)).toBe('json');
    expect(logFormat({ LOG_FORMAT: 'json' }, true)).toBe('json');
    expect(logFormat({ LOG_FORMAT: 'PRETTY' }, false)).toBe('pretty');
  });

  it('writes a repeated warning once per minute per venue, then says how many were held back', () => {
    let now = 0;
    const { lines, destination } = capture();
    const logger = createLogger('info', 'test', { format: 'json', destination, now: () => now });
    const binance = logger.child({ venue: 'binance' });
    const okx = logger.child({ venue: 'okx' });
    for (let i = 0; i < 20; i++) {
      now += 1_000;
      // The endpoint rotates between retries: still the same warning.
      binance.warn(
        { code: 1006 },
        `connect to wss://host-${i % 3}.example:9443 failed: getaddrinfo ENOTFOUND host-${i % 3}.example`,
      );
      okx.warn(`connect to wss://ws.okx.example:8443 failed: getaddrinfo ENOTFOUND ws.okx.example`);
      logger.info('routine line');
    }
    expect(lines.filter((l) => l.venue === 'binance')).toHaveLength(1);
    expect(lines.filter((l) => l.venue === 'okx')).toHaveLength(1);
    expect(lines.filter((l) => l.msg === 'routine line')).toHaveLength(20);

    now += 60_000;
    binance.warn(
      { code: 1006 },
      'connect to wss://host-0.example:9443 failed: getaddrinfo ENOTFOUND host-0.example',
    );
    const again = lines.filter((l) => l.venue === 'binance');
    expect(again).toHaveLength(2);
    expect(again[1]).toMatchObject({ repeated: 19, code: 1006 });
  });

  it('keeps different warnings apart', () => {
    const { lines, destination } = capture();
    const logger = createLogger('info', 'test', { format: 'json', destination, now: () => 0 });
    logger.warn('first problem');
    logger.warn('second problem');
    logger.error('first problem');
    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      [40, 'first problem'],
      [40, 'second problem'],
      [50, 'first problem'],
    ]);
  });
});
