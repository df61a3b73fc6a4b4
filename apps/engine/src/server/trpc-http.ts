import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AnyTRPCRouter } from '@trpc/server';
import { type FetchHandlerRequestOptions, fetchRequestHandler } from '@trpc/server/adapters/fetch';

/**
 * tRPC over node:http through the fetch adapter, with a lean conversion at both ends.
 *
 * Why not tRPC's standalone (node-http) adapter: per call it builds an AbortController and listeners for
 * the disconnect, a web ReadableStream around the body, and writes the answer through a WritableStream
 * `pipeTo`; measured on the no-op procedure (bench/api-adapters.bench.ts) that made it about half as fast
 * as this. Every tRPC v11 Node adapter (standalone, Express, Fastify) shares that conversion.
 *
 * What differs, on purpose:
 * - the body is the text `admitTrpcRequest` already read within its bounds (never the stream);
 * - no abort signal on HTTP calls: only subscriptions read it, and they run over the WebSocket only. A
 *   mutation whose client went away still completes (an order placed stays placed, and is answered to
 *   nobody), as it did before;
 * - the URL's host is fixed: procedures never read it, and a malformed Host header cannot fail a call.
 */
export interface TrpcHttpOptions<TRouter extends AnyTRPCRouter> {
  router: TRouter;
  /** The path prefix of procedure calls, e.g. `/trpc`. */
  endpoint: string;
  /** The call's context, from the node request (client address, Authorization). */
  createContext(
    req: IncomingMessage,
  ): ReturnType<NonNullable<FetchHandlerRequestOptions<TRouter>['createContext']>>;
  responseMeta?: FetchHandlerRequestOptions<TRouter>['responseMeta'];
  /** Called when the answer could not be written (the client went away, or a defect). */
  onWriteError(err: unknown): void;
}

export type TrpcHttpHandler = (req: IncomingMessage, res: ServerResponse, body: string | undefined) => void;

export function createTrpcHttpHandler<TRouter extends AnyTRPCRouter>(
  opts: TrpcHttpOptions<TRouter>,
): TrpcHttpHandler {
  return (req, res, body) => {
    let request: Request;
    try {
      request = toRequest(req, body);
    } catch (err) {
      // An URL or header the WHATWG types refuse (Node's parser let it through).
      opts.onWriteError(err);
      res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"malformed request"}');
      return;
    }
    fetchRequestHandler({
      endpoint: opts.endpoint,
      req: request,
      router: opts.router,
      createContext: () => opts.createContext(req),
      ...(opts.responseMeta ? { responseMeta: opts.responseMeta } : {}),
    } as FetchHandlerRequestOptions<TRouter>)
      .then((response) => writeResponse(response, res))
      .catch((err: unknown) => {
        opts.onWriteError(err);
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
        res.end();
      });
  };
}

function toRequest(req: IncomingMessage, body: string | undefined): Request {
  const raw = req.rawHeaders;
  const headers: [string, string][] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] as string;
    // HTTP/2 pseudo-headers (":path") are not header names the Headers type accepts.
    if (name.charCodeAt(0) !== 58) headers.push([name, raw[i + 1] as string]);
  }
  const method = req.method ?? 'GET';
  const hasBody = method !== 'GET' && method !== 'HEAD';
  return new Request(`http://engine.invalid${req.url ?? '/'}`, {
    method,
    headers,
    ...(hasBody ? { body: body ?? '' } : {}),
  });
}

/**
 * Status, headers (Set-Cookie kept as separate lines) and the body. A streamed answer (JSON lines, for
 * `httpBatchStreamLink`) is written as it comes, waiting for the socket to drain.
 */
async function writeResponse(response: Response, res: ServerResponse): Promise<void> {
  res.statusCode = response.status;
  for (const [key, value] of response.headers) {
    if (key !== 'set-cookie') res.setHeader(key, value);
  }
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) res.setHeader('set-cookie', cookies);
  if (!response.body) {
    res.end();
    return;
  }
  // One JSON answer (every call but a streamed batch): one write, with its length, so no chunked framing.
  if (response.headers.get('content-type')?.startsWith('application/json')) {
    res.end(Buffer.from(await response.arrayBuffer()));
    return;
  }
  const reader = response.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (!res.write(value)) await drained(res);
      if (res.destroyed) {
        await reader.cancel();
        return;
      }
    }
  } finally {
    reader.releaseLock();
  }
  res.end();
}

function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.once('drain', done);
    res.once('close', done);
  });
}
