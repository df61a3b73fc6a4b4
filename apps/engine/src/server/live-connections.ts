import type { IncomingMessage } from 'node:http';
import type { AppError, ErrorCode } from '@qt/shared';
import { errorStatus } from '@qt/shared';
import { TRPCError } from '@trpc/server';
import { getHTTPStatusCodeFromError } from '@trpc/server/http';
import { WebSocket } from 'ws';
import { jsonDeeperThan } from './request-limits.ts';

/**
 * WebSocket connections: bounded messages, and the credential behind each one re-checked when access is
 * taken away somewhere (a key revoked, a sign-out, a member removed), so a running subscription does not
 * outlive the access it was opened with.
 *
 * Close codes: 1009 "REQUEST_TOO_LARGE" (message over `maxPayload`), 1007 "REQUEST_MALFORMED" (JSON nested
 * too deep), 4000 + the HTTP status of the typed reason otherwise (4401 "AUTH_API_KEY_REVOKED",
 * "AUTH_SESSION_REVOKED", "AUTH_MEMBERSHIP_REMOVED", ...). The reason text is always a stable error code.
 */

/** Most bytes in one WebSocket message (`ws` refuses larger ones while they arrive, closing with 1009). */
export const WS_MAX_MESSAGE_BYTES = 1024 * 1024;
/** Deepest JSON nesting in one message (the same bound as HTTP inputs, plus a level for a batch array). */
export const WS_MAX_JSON_DEPTH = 32 + 2;
/** Subscriptions one connection may run at once (SUBSCRIPTION_LIMIT past it). */
export const WS_MAX_SUBSCRIPTIONS = 50;

/**
 * `ws` closes an oversized message with 1009 and no reason; this names it. Messages nested too deeply are
 * refused before tRPC parses them. (A subclass handed to the server, so every connection gets it.)
 */
export class GuardedWebSocket extends WebSocket {
  override close(code?: number, data?: string | Buffer): void {
    super.close(code, code === 1009 && !data ? ('REQUEST_TOO_LARGE' satisfies ErrorCode) : data);
  }

  override emit(event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'message') {
      const [data, isBinary] = args as [Buffer | ArrayBuffer | Buffer[], boolean];
      if (!isBinary && Buffer.isBuffer(data) && jsonDeeperThan(data.toString('utf8'), WS_MAX_JSON_DEPTH)) {
        super.close(1007, 'REQUEST_MALFORMED' satisfies ErrorCode);
        return true;
      }
    }
    return super.emit(event, ...args);
  }
}

/** The close code for a typed reason: 4000 + its HTTP status (4401 for AUTH_*). */
export function closeCodeOf(reason: AppError): number {
  return 4000 + getHTTPStatusCodeFromError(new TRPCError({ code: errorStatus(reason.code) }));
}

export interface LiveConnectionsOptions {
  /** The credentials' change marker (the credential cache's generation); null when it cannot be read. */
  generation(): Promise<string | null>;
  /** Why `credential` no longer grants access, or null while it does. */
  revalidate(credential: string): Promise<AppError | null>;
  /** How often the marker is read. Default 250 ms: a revocation ends live streams within a second. */
  pollMs?: number;
  /** While the marker cannot be read (Redis down), re-check everything this often. Default 5 s. */
  blindRecheckMs?: number;
  /** Credentials re-checked at once. Default 16. */
  concurrency?: number;
  onError?(err: unknown): void;
}

/**
 * The open connections that carry a credential. When the credential cache's generation moves (any
 * change that can take access away, in this engine or, through Redis, in any other), each distinct
 * credential is re-checked once and the connections whose access is gone are closed with the reason.
 */
export class LiveConnections {
  readonly #byClient = new Map<WebSocket, string>();
  readonly #opts: LiveConnectionsOptions;
  #timer: NodeJS.Timeout | null = null;
  #seen: string | null | undefined;
  #lastBlindCheck = 0;
  #running: Promise<void> | null = null;

  constructor(opts: LiveConnectionsOptions) {
    this.#opts = opts;
  }

  get size(): number {
    return this.#byClient.size;
  }

  add(client: WebSocket, _req: IncomingMessage, credential: string | null): void {
    if (!credential) return;
    this.#byClient.set(client, credential);
    client.once('close', () => this.#byClient.delete(client));
  }

  start(): void {
    if (this.#timer) return;
    // The generation at start is the baseline: connections opened after it were checked when they called.
    void this.#opts.generation().then((g) => {
      this.#seen ??= g;
    });
    this.#timer = setInterval(() => void this.tick(), this.#opts.pollMs ?? 250);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.#running;
  }

  /** One poll: re-check every connection if the generation moved (or cannot be read for a while). */
  async tick(): Promise<void> {
    if (this.#running) return;
    this.#running = this.#check().finally(() => {
      this.#running = null;
    });
    await this.#running;
  }

  async #check(): Promise<void> {
    try {
      const generation = await this.#opts.generation();
      const now = Date.now();
      if (generation === null) {
        if (now - this.#lastBlindCheck < (this.#opts.blindRecheckMs ?? 5_000)) return;
        this.#lastBlindCheck = now;
      } else if (generation === this.#seen) {
        return;
      }
      this.#seen = generation;
      await this.recheckAll();
    } catch (err) {
      this.#opts.onError?.(err);
    }
  }

  /** Re-checks each distinct credential once; closes the connections whose access is gone. */
  async recheckAll(): Promise<void> {
    const byCredential = new Map<string, WebSocket[]>();
    for (const [client, credential] of this.#byClient) {
      const list = byCredential.get(credential);
      if (list) list.push(client);
      else byCredential.set(credential, [client]);
    }
    const queue = [...byCredential];
    const worker = async () => {
      for (let next = queue.pop(); next; next = queue.pop()) {
        const [credential, clients] = next;
        const reason = await this.#opts.revalidate(credential);
        if (!reason) continue;
        for (const client of clients) {
          this.#byClient.delete(client);
          client.close(closeCodeOf(reason), reason.code);
        }
      }
    };
    const workers = Math.min(this.#opts.concurrency ?? 16, queue.length);
    await Promise.all(Array.from({ length: workers }, worker));
  }
}
