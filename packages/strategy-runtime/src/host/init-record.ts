import type { StrategyInstrument } from '../driver.ts';

/**
 * Encodes the init record of abi.ts (INIT_RECORD_LAYOUT v1), little-endian and unaligned:
 *   u32 paramCount, per param: u16 nameLength, name (UTF-8), f64 value
 *   u32 instrumentCount, per instrument: u16 nameLength, "venue:SYMBOL" (UTF-8), f64 tickSize, f64 lotSize
 * Params are written in the order of Object.entries (insertion order), instruments in the order given:
 * that order is the instrument index every later call uses.
 */
export function encodeInitRecord(
  params: Readonly<Record<string, number>>,
  instruments: readonly StrategyInstrument[],
): Uint8Array {
  const enc = new TextEncoder();
  const entries = Object.entries(params).map(([k, v]) => [enc.encode(k), v] as const);
  const names = instruments.map((i) => enc.encode(`${i.venue}:${i.symbol}`));
  let size = 4 + 4;
  for (const [name] of entries) size += 2 + name.length + 8;
  for (const name of names) size += 2 + name.length + 16;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let at = 0;
  const str = (bytes: Uint8Array) => {
    if (bytes.length > 0xffff) throw new RangeError('A name in the init record is longer than 65535 bytes.');
    view.setUint16(at, bytes.length, true);
    out.set(bytes, at + 2);
    at += 2 + bytes.length;
  };
  const f64 = (v: number) => {
    view.setFloat64(at, v, true);
    at += 8;
  };
  view.setUint32(at, entries.length, true);
  at += 4;
  for (const [name, value] of entries) {
    str(name);
    f64(value);
  }
  view.setUint32(at, instruments.length, true);
  at += 4;
  instruments.forEach((inst, i) => {
    str(names[i] as Uint8Array);
    f64(Number(inst.tickSize));
    f64(Number(inst.lotSize));
  });
  return out;
}
