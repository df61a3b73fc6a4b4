import type { Db } from '@qt/db';
import type { Clock } from '@qt/shared';
import type { AttemptLimiter } from './auth/attempt-limiter.ts';
import type { CredentialCache } from './auth/credential-cache.ts';
import type { AccountMail } from './domains/accounts/account-mail.ts';
import type { AlertsPort } from './domains/alerts/alerts-port.ts';
import type { BillingPort } from './domains/billing/billing-port.ts';
import type { HistoryPort } from './domains/history/history-port.ts';
import type { MarketPort } from './domains/market/market-port.ts';
import type { MarketplacePort } from './domains/marketplace/marketplace-port.ts';
import type { StrategiesPort } from './domains/strategies/strategies-port.ts';
import type { TradingPort } from './domains/trading/trading-port.ts';
import type { PolicyState, RequestLimiter } from './limits/request-limiter.ts';
import type { UsageMeter } from './limits/usage-meter.ts';

export interface ApiLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** One finished call, for metrics. */
export interface CallObservation {
  path: string;
  type: 'query' | 'mutation' | 'subscription';
  durationMs: number;
  ok: boolean;
  code: string | null;
}

export interface HealthReport {
  status: 'ok' | 'degraded' | 'down';
  components: Record<string, { ok: boolean; detail?: string }>;
}

/** Everything the API needs from the process, handed in once by the engine (and by tests). */
export interface ApiDeps {
  db: Db;
  clock: Clock;
  logger: ApiLogger;
  /** Shared with the web server, which mints session tokens with it. */
  sessionSecret: string;
  limiters: {
    /** Failed sign-ins per client address (generous: many people can share one address). */
    signInByIp: AttemptLimiter;
    /** Failed sign-ins, keyed by IP + email. */
    signIn: AttemptLimiter;
    /** Failed API-key and session-token presentations, keyed by IP. */
    credential: AttemptLimiter;
  };
  /** Account emails (verification, password reset), where their links point, and the sign-up throttles. */
  accounts: AccountMail;
  /**
   * Reuses recent credential verifications; absent: every call verifies against the database. Any
   * change that can take access away (revoke, remove or demote a member) must call `invalidate()`.
   */
  credentialCache?: CredentialCache;
  /**
   * Per-tier request budgets (per key, per tenant, orders), WebSocket caps; absent: no request limits
   * (tests and tools that build the API by hand).
   */
  requestLimiter?: RequestLimiter;
  /** Usage per tenant per day, counted in memory and flushed in batches; read by the usage router. */
  usage?: UsageMeter;
  market: MarketPort;
  /** Market-history coverage and backfills; absent on an engine that runs no market data. */
  history?: HistoryPort;
  /** Absent on an engine that runs no paper trading (e.g. a market-data-only node). */
  trading?: TradingPort;
  /** Absent on an engine that runs no strategies. */
  strategies?: StrategiesPort;
  /** Absent on an engine that runs no alert engine. */
  alerts?: AlertsPort;
  /** Absent on an engine without billing (Stripe or the emulator). */
  billing?: BillingPort;
  /** Absent on an engine without the marketplace. */
  marketplace?: MarketplacePort;
  version: string;
  health(): Promise<HealthReport>;
  observe?(call: CallObservation): void;
}

/** Per request (HTTP) or per connection (WebSocket). Authentication is lazy: public calls pay nothing. */
export interface RequestContext {
  deps: ApiDeps;
  /** The bearer credential as presented: a session token or an API key. Verified on every call. */
  credential: string | null;
  ip: string;
  transport: 'http' | 'ws';
  /** WebSocket only: the connection's running subscriptions, so one socket cannot hold unbounded streams. */
  connection?: LiveConnection;
  /**
   * Filled by the request limiter with the budgets' states of the request's calls, read by the HTTP
   * server for the `RateLimit` / `RateLimit-Policy` headers (one holder per request, shared by a batch).
   */
  rateLimit?: { policies: PolicyState[] | null };
}

/** State of one WebSocket connection shared by all its calls. */
export interface LiveConnection {
  /** Subscriptions running now. */
  subscriptions: number;
  /** More than this many at once is refused with SUBSCRIPTION_LIMIT. */
  readonly maxSubscriptions: number;
  /** Runs `fn` when the connection closes (the tenant's connection slot is given back then). */
  onClose?(fn: () => void): void;
  /** The connection's slot in its tenant's connection cap, taken at its first authenticated call. */
  tenantSlot?: Promise<void>;
  /**
   * The connection's queries and mutations running at once: `enter` takes a place (throws a typed error
   * past the bound) and returns the function that gives it back. Absent: unbounded.
   */
  calls?: { enter(): () => void };
}

export function bearerFrom(header: string | string[] | undefined): string | null {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(value);
  return m?.[1] ?? null;
}
