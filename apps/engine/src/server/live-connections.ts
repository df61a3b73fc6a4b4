import type { IncomingMessage } from 'node:http';
import { type CredentialChange, type CredentialIdentity, changeConcerns, type Recheck } from '@qt/api';
import type { AppError, ErrorCode } from '@qt/shared';
import { errorStatus } from '@qt/shared';
import { TRPCError } from '@trpc/server';
import { getHTTPStatusCodeFromError } from '@trpc/server/http';
import { WebSocket } from 'ws';
import { jsonDeeperThan } from './request-limits.ts';
import { refuseWsMessage } from './ws-calls.ts';

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
 * `ws` closes an oversized message with 1009 and no reason; this names it. Messages nested too deeply, and
 * arrays past the call bounds (`ws-calls.ts`), are refused before tRPC parses them. (A subclass handed to the server, so every connection gets it.)
 */
export class GuardedWebSocket extends WebSocket {
  override close(code?: number, data?: string | Buffer): void {
    super.close(code, code === 1009 && !data ? ('REQUEST_TOO_LARGE' satisfies ErrorCode) : data);
  }

  override emit(event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'message') {
      const [data, isBinary] = args as [Buffer | ArrayBuffer | Buffer[], boolean];
      if (!isBinary && Buffer.isBuffer(data)) {
        const text = data.toString('utf8');
        if (jsonDeeperThan(text, WS_MAX_JSON_DEPTH)) {
          super.close(1007, 'REQUEST_MALFORMED' satisfies ErrorCode);
          return true;
        }
        // Too many calls in one message, or auth.* among others: answered here, none of them started.
        const refusals = refuseWsMessage(text);
        if (refusals) {
          for (const answer of refusals) this.send(answer);
          return true;
        }
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
  /**
   * What changed between two markers, or null when that is not known (then everything is re-checked).
   * Absent: every move of the marker re-checks every connection.
   */
  changes?(from: string, to: string): Promise<CredentialChange[] | null>;
  /** Why `credential` no longer grants access (or null while it does), and who it is. */
  revalidate(credential: string): Promise<Recheck>;
  /** How often the marker is read. Default 250 ms: a revocation ends live streams within a second. */
  pollMs?: number;
  /** While the marker cannot be read (Redis down), re-check everything this often. Default 5 s. */
  blindRecheckMs?: number;
  /** Credentials re-checked at once. Default 16. */
  concurrency?: number;
  onError?(err: unknown): void;
}

interface Live {
  credential: string;
  /** From the credential's last re-check; null until then (such a connection matches every change). */
  identity: CredentialIdentity | null;
}

/**
 * The open connections that carry a credential. When the credential cache's generation moves (any
 * change that can take access away, in this engine or, through Redis, in any other), the connections
 * the changes concern are re-checked, each distinct credential once, and those whose access is gone are
 * closed with the reason. A change names whose access it may take (a key, a person, a tenant), so one
 * tenant revoking keys in a loop re-checks only its own connections, not every tenant's; a connection
 * not re-checked yet (identity unknown) is included once, and when the changes cannot be read (trimmed,
 * Redis unreadable) everything is re-checked.
 */
export class LiveConnections {
  readonly #byClient = new Map<WebSocket, Live>();
  readonly #opts: LiveConnectionsOptions;
  #timer: NodeJS.Timeout | null = null;
  #seen: string | null | undefined;
  #lastBlindCheck = 0;
  #running: Promise<void> | null = null;
  #checks = 0;

  constructor(opts: LiveConnectionsOptions) {
    this.#opts = opts;
  }

  get size(): number {
    return this.#byClient.size;
  }

  /** Credentials re-checked so far (for metrics and tests). */
  get checks(): number {
    return this.#checks;
  }

  add(client: WebSocket, _req: IncomingMessage, credential: string | null): void {
    if (!credential) return;
    this.#byClient.set(client, { credential, identity: null });
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

  /** One poll: re-check the concerned connections if the generation moved (all if it cannot be read). */
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
        this.#seen = null;
        return await this.recheck(null);
      }
      if (generation === this.#seen) return;
      const from = this.#seen;
      this.#seen = generation;
      const changes = from && this.#opts.changes ? await this.#opts.changes(from, generation) : null;
      await this.recheck(changes);
    } catch (err) {
      this.#opts.onError?.(err);
    }
  }

  /** Re-checks everything. */
  recheckAll(): Promise<void> {
    return this.recheck(null);
  }

  /**
   * Re-checks each distinct credential the `changes` concern (all when null) once; closes the
   * connections whose access is gone.
   */
  async recheck(changes: readonly CredentialChange[] | null): Promise<void> {
    const concerned = (live: Live) =>
      changes === null ||
      live.identity === null ||
      changes.some((c) => changeConcerns(c, live.identity as CredentialIdentity));
    const byCredential = new Map<string, [WebSocket, Live][]>();
    for (const [client, live] of this.#byClient) {
      if (!concerned(live)) continue;
      const list = byCredential.get(live.credential);
      if (list) list.push([client, live]);
      else byCredential.set(live.credential, [[client, live]]);
    }
    const queue = [...byCredential];
    const worker = async () => {
      for (let next = queue.pop(); next; next = queue.pop()) {
        const [credential, clients] = next;
        this.#checks++;
        const { reason, identity } = await this.#opts.revalidate(credential);
        for (const [client, live] of clients) {
          if (!reason) {
            // A check that could not be made (database down) leaves what was known.
            if (identity) live.identity = identity;
            continue;
          }
          this.#byClient.delete(client);
          client.close(closeCodeOf(reason), reason.code);
        }
      }
    };
    const workers = Math.min(this.#opts.concurrency ?? 16, queue.length);
    await Promise.all(Array.from({ length: workers }, worker));
  }
}
