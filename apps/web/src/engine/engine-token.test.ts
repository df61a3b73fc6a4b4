import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createEngineTokenSource, type EngineTokenResponse } from './engine-token';

const T0 = Date.parse('2030-01-01T00:00:00Z');

function tokenResponse(token: string): Response {
  const body: EngineTokenResponse = {
    token,
    expiresAt: new Date(T0 + 900_000).toISOString(),
    expiresIn: 900,
    engineUrl: 'http://127.0.0.1:4000',
    engineWsUrl: 'ws://127.0.0.1:4000/trpc',
  };
  return new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } });
}

describe('createEngineTokenSource', () => {
  let issued: number;
  const fetchMock = vi.fn(async () => tokenResponse(`token-${++issued}`));

  beforeEach(() => {
    issued = 0;
    fetchMock.mockClear();
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(T0);
    vi.stubGlobal('fetch', fetchMock);
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });

  it('shares one fetch among callers that ask at the same time', async () => {
    const tokens = createEngineTokenSource(() => {});
    const got = await Promise.all([tokens.get(), tokens.get(), tokens.get()]);
    expect(got).toEqual(['token-1', 'token-1', 'token-1']);
    expect(fetchMock).toHaveBeenCalledTimes(1);
  });

  it('reuses the token until two minutes before it expires, then fetches a new one', async () => {
    const tokens = createEngineTokenSource(() => {});
    expect(await tokens.get()).toBe('token-1');
    vi.setSystemTime(T0 + 12 * 60_000);
    expect(await tokens.get()).toBe('token-1');
    vi.setSystemTime(T0 + 13 * 60_000);
    expect(await tokens.get()).toBe('token-2');
  });

  it('fetches a new token after the engine refused the cached one', async () => {
    const tokens = createEngineTokenSource(() => {});
    await tokens.get();
    tokens.invalidate();
    expect(await tokens.get()).toBe('token-2');
  });

  it('reports a signed-out person when the web server has no session for them', async () => {
    fetchMock.mockImplementationOnce(async () => new Response('{}', { status: 401 }));
    const onSignedOut = vi.fn();
    const tokens = createEngineTokenSource(onSignedOut);
    await expect(tokens.get()).rejects.toThrow(/sign in again/i);
    expect(onSignedOut).toHaveBeenCalledOnce();
  });
});
