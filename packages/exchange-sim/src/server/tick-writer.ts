import type { Connection } from './connection.ts';

/**
 * Writes one tick's pre-encoded frames. Each socket is corked on its first write of the tick and
 * uncorked in `flush`, so everything a socket gets in a tick leaves in one writev.
 */
export class TickWriter {
  #tick = 0;
  #touched: Connection[] = [];
  /** Connections holding delayed frames (late-frames fault). */
  readonly #lagging = new Set<Connection>();
  /** Monotonic ms at the start of the tick, for the silence checks. */
  now = 0;
  readonly #maxBufferedBytes: number;

  constructor(maxBufferedBytes: number) {
    this.#maxBufferedBytes = maxBufferedBytes;
  }

  /** Returns false when the connection did not take the frames (closing or silent). */
  write(conn: Connection, frames: Buffer): boolean {
    if (!conn.open || conn.silent(this.now)) return false;
    if (conn.lagMs > 0) {
      // The frame buffers are fresh per tick and never reused, so holding them is safe.
      conn.delayed.push({ at: this.now + conn.lagMs, frames });
      this.#lagging.add(conn);
      return true;
    }
    if (conn.corkedTick !== this.#tick) {
      conn.corkedTick = this.#tick;
      conn.socket.cork();
      this.#touched.push(conn);
    }
    conn.socket.write(frames);
    conn.lastSentAt = this.now;
    return true;
  }

  /** Releases the connection's delayed frames as they fall due, from the next flush on. */
  track(conn: Connection): void {
    this.#lagging.add(conn);
  }

  /** Writes the connection's delayed frames due by `until` (all of them with Infinity). */
  release(conn: Connection, until: number): void {
    const q = conn.delayed;
    let n = 0;
    while (n < q.length && (q[n] as { at: number }).at <= until) n += 1;
    if (n === 0) return;
    const due = q.splice(0, n);
    if (q.length === 0) this.#lagging.delete(conn);
    // A socket the client already closed takes nothing more, as a real one would.
    if (conn.ws.readyState !== conn.ws.OPEN) return;
    for (const d of due) conn.socket.write(d.frames);
    conn.lastSentAt = this.now;
  }

  flush(): void {
    for (const conn of this.#lagging) this.release(conn, this.now);
    const touched = this.#touched;
    for (let i = 0; i < touched.length; i += 1) {
      const conn = touched[i] as Connection;
      conn.socket.uncork();
      // A venue drops a consumer that cannot keep up rather than buffer without bound.
      if (conn.socket.writableLength > this.#maxBufferedBytes) conn.drop();
    }
    touched.length = 0;
    this.#tick += 1;
  }
}
