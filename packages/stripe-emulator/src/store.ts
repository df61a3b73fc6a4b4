import { randomBytes } from 'node:crypto';
import { invalidRequest, objectLimit, resourceMissing } from './errors.ts';
import type { Params } from './http/form.ts';
import { int, str, strArr } from './http/params.ts';
import type { Kind, ListObject, ObjectsByKind } from './wire.ts';

const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Stripe-looking ids: the object's prefix and 24 random base-62 characters (unique across runs). */
export function newId(prefix: string, length = 24): string {
  const bytes = randomBytes(length);
  let out = `${prefix}_`;
  for (const b of bytes) out += alphabet[b % alphabet.length];
  return out;
}

const nouns: Record<Kind, string> = {
  customer: 'customer',
  product: 'product',
  price: 'price',
  payment_method: 'PaymentMethod',
  'checkout.session': 'checkout.session',
  subscription: 'subscription',
  invoice: 'invoice',
  invoice_payment: 'invoice_payment',
  payment_intent: 'payment_intent',
  'test_helpers.test_clock': 'test_clock',
  'billing_portal.session': 'billing_portal.session',
  'billing_portal.configuration': 'billing_portal.configuration',
  event: 'event',
  account: 'account',
  charge: 'charge',
  refund: 'refund',
  balance_transaction: 'balance transaction',
  application_fee: 'application fee',
};

type Stored = { id: string; object: string };
/** The store's objects by kind, oldest first (JSON-safe: Stripe objects are plain data). */
export type StoreSnapshot = Partial<Record<Kind, unknown[]>>;
/** Expands a field that is not a stored object id (a computed list such as a session's line items). */
export type VirtualExpander = (owner: Stored, field: string) => unknown;

/**
 * In-memory state: one insertion-ordered map per kind, bounded by `maxPerKind`, plus an index by id
 * so `expand[]` can resolve any id. Lists are newest first, as Stripe's.
 */
export class Store {
  private readonly byKind = new Map<Kind, Map<string, Stored>>();
  private readonly byId = new Map<string, Stored>();
  virtualExpander: VirtualExpander = () => undefined;
  /** Called after every insert and removal (every change emits an event, so every change is seen). */
  onChange: () => void = () => undefined;

  constructor(private readonly maxPerKind: number) {}

  insert<K extends Kind>(kind: K, value: ObjectsByKind[K]): ObjectsByKind[K] {
    let map = this.byKind.get(kind);
    if (!map) {
      map = new Map();
      this.byKind.set(kind, map);
    }
    if (map.size >= this.maxPerKind) {
      // Events are a log: the oldest is forgotten rather than failing the change that emits one.
      if (kind !== 'event') throw objectLimit(kind, this.maxPerKind);
      const oldest = map.keys().next().value as string;
      this.remove(kind, oldest);
    }
    const stored = value as unknown as Stored;
    map.set(stored.id, stored);
    this.byId.set(stored.id, stored);
    this.onChange();
    return value;
  }

  find<K extends Kind>(kind: K, id: string): ObjectsByKind[K] | undefined {
    return this.byKind.get(kind)?.get(id) as ObjectsByKind[K] | undefined;
  }

  get<K extends Kind>(kind: K, id: string, param = 'id'): ObjectsByKind[K] {
    const found = this.find(kind, id);
    if (!found) throw resourceMissing(nouns[kind], id, param);
    return found;
  }

  remove(kind: Kind, id: string): void {
    this.byKind.get(kind)?.delete(id);
    this.byId.delete(id);
    this.onChange();
  }

  /** Newest first. */
  all<K extends Kind>(kind: K): ObjectsByKind[K][] {
    const map = this.byKind.get(kind);
    return map ? ([...map.values()].reverse() as ObjectsByKind[K][]) : [];
  }

  oldestFirst<K extends Kind>(kind: K): ObjectsByKind[K][] {
    const map = this.byKind.get(kind);
    return map ? ([...map.values()] as ObjectsByKind[K][]) : [];
  }

  count(kind: Kind): number {
    return this.byKind.get(kind)?.size ?? 0;
  }

  /** Every stored object by kind, oldest first (deep copies): what `restore` takes back. */
  snapshot(): StoreSnapshot {
    const out: StoreSnapshot = {};
    for (const [kind, map] of this.byKind) out[kind] = structuredClone([...map.values()]);
    return out;
  }

  /**
   * Replaces the contents with a snapshot, keeping each kind's order (lists stay newest first). Unknown
   * kinds and objects without an id are refused, not half-loaded; beyond `maxPerKind` the oldest objects
   * are left out (events) or the restore fails (other kinds), as inserting them one by one would.
   */
  restore(snapshot: StoreSnapshot): void {
    for (const [kind, objects] of Object.entries(snapshot)) {
      if (!(kind in nouns)) throw new Error(`unknown kind in the emulator's saved state: ${kind}`);
      if (!Array.isArray(objects) || objects.some((o) => typeof (o as Stored | null)?.id !== 'string'))
        throw new Error(`malformed ${kind} objects in the emulator's saved state`);
    }
    this.byKind.clear();
    this.byId.clear();
    for (const [kind, objects] of Object.entries(snapshot)) {
      for (const o of objects ?? []) this.insert(kind as Kind, o as ObjectsByKind[Kind]);
    }
  }

  /** Deep copy with the requested `expand[]` paths resolved (`a.b.c`, up to Stripe's four levels). */
  render<T>(value: T, params: Params): T {
    const paths = strArr(params, 'expand') ?? [];
    let out = structuredClone(value) as unknown;
    for (const path of paths) {
      const parts = path.split('.');
      if (parts.length > 4)
        throw invalidRequest(`You cannot expand more than 4 levels of a property: ${path}`, 'expand');
      out = this.expandPath(out, parts, path);
    }
    return out as T;
  }

  private expandPath(value: unknown, parts: string[], path: string): unknown {
    const [head, ...rest] = parts;
    if (head === undefined || value === null || typeof value !== 'object') return value;
    const o = value as Record<string, unknown>;
    if (head === 'data' && o.object === 'list' && Array.isArray(o.data)) {
      return { ...o, data: o.data.map((x) => this.expandPath(x, rest, path)) };
    }
    let field = o[head];
    if (typeof field === 'string' && this.byId.has(field)) {
      field = structuredClone(this.byId.get(field));
    } else if (field === undefined || field === null) {
      const virtual = this.virtualExpander(o as Stored, head);
      if (virtual === undefined && field === undefined) {
        throw invalidRequest(`This property cannot be expanded (${path}).`, 'expand');
      }
      if (virtual !== undefined) field = virtual;
    }
    return { ...o, [head]: this.expandPath(field, rest, path) };
  }
}

/**
 * Stripe's cursor pagination over a newest-first array: `limit` 1..100 (default 10), `starting_after`
 * (the page after that id) or `ending_before` (the page just before it).
 */
export function paginate<T extends { id?: string | null }>(
  items: T[],
  params: Params,
  url: string,
): ListObject<T> {
  const limit = int(params, 'limit') ?? 10;
  if (limit < 1 || limit > 100) {
    throw invalidRequest('Invalid limit: must be between 1 and 100', 'limit', 'parameter_invalid_integer');
  }
  const after = str(params, 'starting_after');
  const before = str(params, 'ending_before');
  if (after && before) {
    throw invalidRequest(
      'You may only specify one of these parameters: ending_before, starting_after.',
      'ending_before',
    );
  }
  const indexOf = (id: string, param: string): number => {
    const i = items.findIndex((x) => x.id === id);
    if (i < 0) throw invalidRequest(`No such object: '${id}'`, param, 'resource_missing');
    return i;
  };
  if (before) {
    const end = indexOf(before, 'ending_before');
    const start = Math.max(0, end - limit);
    return { object: 'list', data: items.slice(start, end), has_more: start > 0, url };
  }
  const start = after ? indexOf(after, 'starting_after') + 1 : 0;
  const data = items.slice(start, start + limit);
  return { object: 'list', data, has_more: start + limit < items.length, url };
}
