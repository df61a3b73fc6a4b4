import { idempotencyMismatch } from '../errors.ts';

export interface SavedResponse {
  fingerprint: string;
  status: number;
  body: string;
}

/**
 * Stripe's idempotent requests: the first answer to a key is saved and replayed for the same request;
 * the same key with other parameters is an `idempotency_error`. Stripe saves an answer once the
 * endpoint started executing, so parameter errors (400/404) are not saved and may be retried with the
 * same key. Bounded: the oldest key is forgotten first (Stripe forgets after 24 hours).
 */
export class IdempotencyCache {
  private readonly saved = new Map<string, SavedResponse>();

  constructor(private readonly capacity: number) {}

  lookup(key: string, fingerprint: string): SavedResponse | undefined {
    const hit = this.saved.get(key);
    if (!hit) return undefined;
    if (hit.fingerprint !== fingerprint) throw idempotencyMismatch(key);
    return hit;
  }

  save(key: string, response: SavedResponse): void {
    if (response.status === 400 || response.status === 404 || response.status === 429) return;
    if (this.saved.size >= this.capacity) {
      const oldest = this.saved.keys().next().value as string;
      this.saved.delete(oldest);
    }
    this.saved.set(key, response);
  }
}
