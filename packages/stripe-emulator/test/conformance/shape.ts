/**
 * Compares an object the emulator answered with Stripe's own example of the same `object` type, key by
 * key and recursively. It reports differences as `path: problem` strings; the caller decides which are
 * known (allow-lists) and fails on the rest, so a new difference shows as a test failure naming its path.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

export type Problem =
  /** A key the emulator answers with that Stripe's object does not have. */
  | { kind: 'extra'; path: string }
  /** A key of Stripe's object the emulator leaves out. */
  | { kind: 'missing'; path: string }
  /** Both have the key, the JSON types (or `object` strings, or id prefixes) disagree. */
  | { kind: 'type'; path: string; detail: string };

/** Id prefixes of the objects the emulator creates, as Stripe issues them. */
export const idPrefixes: Record<string, string> = {
  account: 'acct_',
  application_fee: 'fee_',
  balance_transaction: 'txn_',
  'billing_portal.configuration': 'bpc_',
  'billing_portal.session': 'bps_',
  charge: 'ch_',
  'checkout.session': 'cs_',
  customer: 'cus_',
  event: 'evt_',
  invoice: 'in_',
  invoice_payment: 'inpay_',
  item: 'li_',
  line_item: 'il_',
  payment_intent: 'pi_',
  payment_method: 'pm_',
  price: 'price_',
  product: 'prod_',
  refund: 're_',
  subscription: 'sub_',
  subscription_item: 'si_',
  'test_helpers.test_clock': 'clock_',
};

/**
 * Fields whose keys are data, not schema: `metadata` is the caller's, `source_types` is per payment
 * method type. Only the value type is checked.
 */
const mapFields = new Set(['metadata', 'source_types']);

const jsonType = (v: Json | undefined): string =>
  v === undefined ? 'absent' : v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;

const isObject = (v: Json | undefined): v is JsonObject =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** A string that looks like an id of a known kind (`cus_...`), giving its prefix. */
function knownPrefix(value: string): string | undefined {
  return Object.values(idPrefixes).find((p) => value.startsWith(p) && value.length > p.length);
}

export interface CompareOptions {
  /** Stripe's example of each `object` type, used for nested objects whose example is thinner or absent. */
  fixtures: Record<string, JsonObject>;
}

/**
 * `actual` against `expected` (Stripe's example); `path` names the position for the report.
 * Rules, in order:
 * - a null in the emulator's answer is accepted (almost every Stripe field is nullable; the SDK's types,
 *   `src/wire.ts`, decide nullability at compile time), and so is anything where Stripe's example is null;
 * - an id string where Stripe's example shows the expanded object is accepted (expandable fields), and an
 *   expanded object where Stripe shows an id is compared with the example of its own `object` type;
 * - otherwise the JSON types must agree, `object` strings must be equal, and ids must have the prefix of
 *   their kind (an `id`, or a reference where Stripe's example shows a known prefix).
 */
export function compareShape(actual: Json, expected: Json, path: string, options: CompareOptions): Problem[] {
  if (actual === null || expected === null) return [];
  if (isObject(expected) && typeof actual === 'string' && typeof expected.id === 'string') return [];
  if (typeof expected === 'string' && isObject(actual) && typeof actual.object === 'string') {
    const own = options.fixtures[actual.object];
    return own ? compareShape(actual, own, path, options) : [];
  }
  if (jsonType(actual) !== jsonType(expected)) {
    return [{ kind: 'type', path, detail: `${jsonType(actual)} where Stripe has ${jsonType(expected)}` }];
  }
  if (typeof actual === 'string' && typeof expected === 'string') {
    const prefix = knownPrefix(expected);
    if (prefix && !actual.startsWith(prefix)) {
      return [{ kind: 'type', path, detail: `"${actual}" lacks Stripe's prefix ${prefix}` }];
    }
    return [];
  }
  if (Array.isArray(actual) && Array.isArray(expected)) return compareArray(actual, expected, path, options);
  if (isObject(actual) && isObject(expected)) return compareObject(actual, expected, path, options);
  return [];
}

function compareArray(actual: Json[], expected: Json[], path: string, options: CompareOptions): Problem[] {
  const problems: Problem[] = [];
  actual.forEach((element, i) => {
    // Stripe's example shows one element (or none); every element must look like it, or like the
    // example of its own `object` type when the example list is empty (`external_accounts`).
    const own =
      isObject(element) && typeof element.object === 'string' ? options.fixtures[element.object] : undefined;
    const model = expected[0] ?? own;
    if (model !== undefined) problems.push(...compareShape(element, model, `${path}[${i}]`, options));
  });
  return problems;
}

function compareObject(
  actual: JsonObject,
  expected: JsonObject,
  path: string,
  options: CompareOptions,
): Problem[] {
  const problems: Problem[] = [];
  // A nested object with an example of its own type is reported from that type (`subscription_item.x`,
  // not `subscription.items.data[].x`), so one allow-list entry covers it wherever it appears.
  const where = typeof actual.object === 'string' && options.fixtures[actual.object] ? actual.object : path;
  const at = (key: string) => (where ? `${where}.${key}` : key);
  // A nested object of another type (an expanded price in a subscription item) may be shown thinner
  // in the example than at its own top level: compare with the fuller one.
  let model = expected;
  if (
    typeof actual.object === 'string' &&
    typeof expected.object === 'string' &&
    actual.object === expected.object
  ) {
    const own = options.fixtures[actual.object];
    if (own && Object.keys(own).length > Object.keys(expected).length) model = own;
  }
  if (
    typeof actual.object === 'string' &&
    typeof model.object === 'string' &&
    actual.object !== model.object
  ) {
    problems.push({
      kind: 'type',
      path: at('object'),
      detail: `"${actual.object}" where Stripe has "${model.object}"`,
    });
  }
  const ownPrefix = typeof actual.object === 'string' ? idPrefixes[actual.object] : undefined;
  if (ownPrefix && typeof actual.id === 'string' && !actual.id.startsWith(ownPrefix)) {
    problems.push({
      kind: 'type',
      path: at('id'),
      detail: `"${actual.id}" lacks Stripe's prefix ${ownPrefix}`,
    });
  }
  for (const key of Object.keys(actual)) {
    if (!(key in model)) problems.push({ kind: 'extra', path: at(key) });
  }
  for (const key of Object.keys(model)) {
    if (!(key in actual)) {
      problems.push({ kind: 'missing', path: at(key) });
      continue;
    }
    // The id's prefix was checked against its own type above (the example's may be another type's).
    if (key === 'id' && ownPrefix) continue;
    const a = actual[key] as Json;
    const e = model[key] as Json;
    if (mapFields.has(key) && isObject(a) && (isObject(e) || e === null)) {
      for (const [k, v] of Object.entries(a)) {
        const sample = isObject(e) ? Object.values(e)[0] : undefined;
        if (sample !== undefined && v !== null && jsonType(v) !== jsonType(sample)) {
          problems.push({
            kind: 'type',
            path: `${at(key)}.${k}`,
            detail: `${jsonType(v)} where Stripe has ${jsonType(sample)}`,
          });
        }
      }
      continue;
    }
    problems.push(...compareShape(a, e, at(key), options));
  }
  return problems;
}

/** `a.b[3].c` -> `a.b[].c`, so an allow-list entry covers every element of a list. */
export const generalize = (path: string): string => path.replace(/\[\d+\]/g, '[]');

export const describeProblem = (p: Problem): string =>
  p.kind === 'type'
    ? `${p.path}: ${p.detail}`
    : `${p.path}: ${p.kind === 'extra' ? "not in Stripe's object" : 'missing'}`;
