/** The response of GET /api/engine-token: what the browser needs to call the engine itself. */
export interface EngineTokenResponse {
  token: string;
  /** ISO time after which the engine refuses the token. */
  expiresAt: string;
  /** Seconds the token lives; the browser times its refresh with this, so a wrong local clock does not matter. */
  expiresIn: number;
  engineUrl: string;
  engineWsUrl: string;
}

export interface EngineTokenSource {
  /** A token valid for a while yet: the cached one, or a fresh one from the web server. */
  get(): Promise<string>;
  /** Forget the cached token (the engine refused it); the next `get` fetches a new one. */
  invalidate(): void;
}

/** Refresh this long before expiry, so a call made just before never arrives with a dead token. */
const REFRESH_MARGIN_MS = 2 * 60 * 1000;

/**
 * The browser's engine token. Fetched on demand (an idle tab makes no requests), refreshed when less than
 * REFRESH_MARGIN_MS of its life is left, and concurrent callers share one fetch. When the web server says
 * the next-auth session is gone, `onSignedOut` runs (the dashboard goes to the sign-in page).
 */
export function createEngineTokenSource(onSignedOut: () => void): EngineTokenSource {
  let current: { token: string; refreshAt: number } | null = null;
  let pending: Promise<string> | null = null;

  async function fetchToken(): Promise<string> {
    const res = await fetch('/api/engine-token', { cache: 'no-store', credentials: 'same-origin' });
    if (res.status === 401) {
      onSignedOut();
      throw new Error('Your session ended. Sign in again.');
    }
    if (!res.ok) throw new Error(`Could not get an engine token (HTTP ${res.status}). Reload the page.`);
    const body = (await res.json()) as EngineTokenResponse;
    current = { token: body.token, refreshAt: Date.now() + body.expiresIn * 1000 - REFRESH_MARGIN_MS };
    return body.token;
  }

  return {
    get() {
      if (current && Date.now() < current.refreshAt) return Promise.resolve(current.token);
      pending ??= fetchToken().finally(() => {
        pending = null;
      });
      return pending;
    },
    invalidate() {
      current = null;
    },
  };
}
