import type { Connection } from './connection.ts';

/**
 * Writes one tick's pre-encoded frames. Each socket is corked on its first write of the tick and
 * uncorked in `flush`, so everything a socket gets in a tick leaves in one writev.
 */
export class TickWriter {
  #tick = 0;
  #touched: Connection[] = [];
  /** Monotonic ms at the start of the tick, for the silence checks. */
  now = 0;
  readonly #maxBufferedBytes: number;

  constructor(maxBufferedBytes: number) {
    this.#maxBufferedBytes = maxBufferedBytes;
  }

  /** Returns false when the connection did not take the frames (closing or silent). */
  write(conn: Connection, frames: Buffer): boolean {
    if (!conn.open || conn.silent(this.now)) return false;
    if (conn.corkedTick !== this.#tick) {
      conn.corkedTick = this.#tick;
      conn.socket.cork();
      this.#touched.push(conn);
    }
    conn.socket.write(frames);
    conn.lastSentAt = this.now;
    return true;
  }

  flush(): void {
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
