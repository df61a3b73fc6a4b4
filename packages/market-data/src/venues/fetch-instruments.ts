import { AppError, type Instrument } from '@qt/shared';
import type { VenueAdapter } from './venue-adapter.ts';

export interface FetchInstrumentsOptions {
  /** REST bases to try in order; the adapter's defaults when omitted. */
  restEndpoints?: readonly string[];
  /** Per request. */
  timeoutMs?: number;
  /** For tests or proxies; the global `fetch` by default. */
  fetch?: typeof fetch;
}

/**
 * Fetches and parses the venue's spot instruments, trying each REST base in turn, and teaches the adapter
 * the symbols' base/quote split. Throws `SERVICE_UNAVAILABLE` when no base answers with a usable list.
 */
export async function fetchInstruments(
  adapter: VenueAdapter,
  options: FetchInstrumentsOptions = {},
): Promise<Instrument[]> {
  const bases = options.restEndpoints ?? adapter.defaultRestEndpoints;
  const doFetch = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const failures: string[] = [];
  for (const base of bases) {
    const url = adapter.instrumentsUrl(base);
    try {
      const res = await doFetch(url, { signal: AbortSignal.timeout(timeoutMs) });
      if (!res.ok) {
        failures.push(`${url}: HTTP ${res.status}`);
        continue;
      }
      const instruments = adapter.parseInstruments(await res.json());
      adapter.registerSymbols(instruments.map((i) => i.symbol));
      return instruments;
    } catch (err) {
      failures.push(`${url}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  throw new AppError(
    'SERVICE_UNAVAILABLE',
    `Could not load ${adapter.venue} instruments from any endpoint; check the network or the venue status.`,
    { failures },
  );
}
