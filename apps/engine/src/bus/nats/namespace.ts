import { subjectToken } from '@qt/shared';

/**
 * Lets several deployments (or parallel test runs) share one NATS server: with namespace `ns`,
 * stream `MARKET_TRADES` becomes `ns_MARKET_TRADES` and subject `market.trades.x.y` becomes
 * `ns.market.trades.x.y`. Empty namespace: names are used as declared.
 */
export interface Namespace {
  stream(name: string): string;
  subject(subject: string): string;
  /** The subject as the application knows it (namespace removed). */
  local(subject: string): string;
}

export function namespace(ns: string): Namespace {
  if (!ns) return { stream: (n) => n, subject: (s) => s, local: (s) => s };
  subjectToken('namespace', ns);
  const prefix = `${ns}.`;
  return {
    stream: (n) => `${ns}_${n}`,
    subject: (s) => prefix + s,
    local: (s) => (s.startsWith(prefix) ? s.slice(prefix.length) : s),
  };
}
