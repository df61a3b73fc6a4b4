/// <reference path="../types/webassembly.d.ts" />
/**
 * Reading text out of a strategy's linear memory. Every pointer comes from untrusted code, so every
 * read is bounds-checked against the memory's current size (which changes when the module grows it)
 * and capped in length, so a hostile length cannot make the host allocate much.
 */

const utf8 = new TextDecoder('utf-8');
const utf16 = new TextDecoder('utf-16le');

/** UTF-8 text at [ptr, ptr + len), at most `maxBytes` of it (cut text ends with an ellipsis), or null when out of bounds. */
export function readUtf8(
  memory: WebAssembly.Memory | null,
  ptr: number,
  len: number,
  maxBytes: number,
): string | null {
  if (memory === null) return null;
  const buf = memory.buffer;
  if (!inBounds(buf.byteLength, ptr, len)) return null;
  const take = Math.min(len, maxBytes);
  const text = utf8.decode(new Uint8Array(buf, ptr, take));
  return take < len ? `${text}…` : text;
}

/**
 * An AssemblyScript string: UTF-16LE code units at `ptr`, their byte length in the u32 just before it
 * (the runtime's object header `rtSize`). Null when the pointer or length does not fit the memory.
 */
export function readAssemblyScriptString(
  memory: WebAssembly.Memory | null,
  ptr: number,
  maxBytes: number,
): string | null {
  if (memory === null) return null;
  const buf = memory.buffer;
  if (!Number.isInteger(ptr) || ptr < 4 || ptr > buf.byteLength) return null;
  const len = new DataView(buf).getUint32(ptr - 4, true);
  if (!inBounds(buf.byteLength, ptr, len)) return null;
  const take = Math.min(len, maxBytes) & ~1; // whole code units only
  const text = utf16.decode(new Uint8Array(buf, ptr, take));
  return take < len ? `${text}…` : text;
}

function inBounds(size: number, ptr: number, len: number): boolean {
  return Number.isInteger(ptr) && Number.isInteger(len) && ptr >= 0 && len >= 0 && ptr + len <= size;
}
