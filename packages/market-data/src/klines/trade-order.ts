/**
 * The order the aggregator and `recomputeKlines` agree on, so a candle does not depend on the order its
 * trades arrived in: by exchange time, then by trade id (shorter first, then lexicographic, which is
 * numeric order for the plain integer ids venues use). Among equal prices spelled differently ("1.5" and
 * "1.50") high and low keep the spelling that sorts first under the same rule.
 */
export function sortsBefore(a: string, b: string): boolean {
  return a.length !== b.length ? a.length < b.length : a < b;
}
