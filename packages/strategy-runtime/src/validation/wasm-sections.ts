/**
 * A minimal reader of the parts of a WebAssembly binary that upload validation needs: function types,
 * imports, function declarations, memories and exports. `WebAssembly.Module.imports()/exports()` give
 * only names and kinds, not signatures or memory limits, and no package on npm reads those without
 * pulling in a whole toolchain (wabt, binaryen and @webassemblyjs/* parse every instruction of every
 * function; we only need five small sections). Code, data and custom sections are skipped by their size.
 *
 * Every read is bounds-checked and throws WasmParseError; the module has already been compiled by V8
 * (which rejects anything malformed) before this runs, so a parse error here means a feature this reader
 * does not know (a newer proposal), which validation refuses too.
 */

export class WasmParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WasmParseError';
  }
}

export type ValType = 'i32' | 'i64' | 'f32' | 'f64' | 'v128' | 'funcref' | 'externref';

export interface FuncType {
  params: ValType[];
  results: ValType[];
}

export interface Limits {
  min: number;
  /** null when the module declares no maximum. */
  max: number | null;
  shared: boolean;
  memory64: boolean;
}

export type ImportDesc =
  | { kind: 'function'; typeIndex: number }
  | { kind: 'table' }
  | { kind: 'memory'; limits: Limits }
  | { kind: 'global' }
  | { kind: 'tag' };

export interface WasmImport {
  module: string;
  field: string;
  desc: ImportDesc;
}

export type ExportKind = 'function' | 'table' | 'memory' | 'global' | 'tag';

export interface WasmExport {
  name: string;
  kind: ExportKind;
  index: number;
}

export interface WasmSections {
  types: FuncType[];
  imports: WasmImport[];
  /** Type index of each function defined in the module (after the imported ones in the index space). */
  functions: number[];
  /** Memories defined in the module (imported ones are in `imports`). */
  memories: Limits[];
  exports: WasmExport[];
}

const VALTYPES: Readonly<Record<number, ValType>> = {
  127: 'i32',
  126: 'i64',
  125: 'f32',
  124: 'f64',
  123: 'v128',
  112: 'funcref',
  111: 'externref',
};

const EXPORT_KINDS: readonly ExportKind[] = ['function', 'table', 'memory', 'global', 'tag'];

const SECTION_TYPE = 1;
const SECTION_IMPORT = 2;
const SECTION_FUNCTION = 3;
const SECTION_MEMORY = 5;
const SECTION_EXPORT = 7;

const utf8 = new TextDecoder('utf-8', { fatal: true });

class Reader {
  pos: number;
  constructor(
    private readonly bytes: Uint8Array,
    start: number,
    readonly end: number,
  ) {
    this.pos = start;
  }

  u8(): number {
    if (this.pos >= this.end) throw new WasmParseError(`unexpected end of data at byte ${this.pos}`);
    return this.bytes[this.pos++] as number;
  }

  /** Unsigned LEB128 of at most `bits` bits (32 or 64; 64-bit values above 2^53 are refused). */
  uleb(bits: 32 | 64 = 32): number {
    let result = 0;
    let mul = 1;
    const maxBytes = Math.ceil(bits / 7);
    for (let i = 0; i < maxBytes; i++) {
      const b = this.u8();
      result += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) {
        if (result > (bits === 32 ? 0xffff_ffff : Number.MAX_SAFE_INTEGER)) {
          throw new WasmParseError(`integer too large at byte ${this.pos}`);
        }
        return result;
      }
      mul *= 128;
    }
    throw new WasmParseError(`integer longer than ${maxBytes} bytes at byte ${this.pos}`);
  }

  /** A vector length, refused when it could not possibly fit in what is left (each element >= 1 byte). */
  count(): number {
    const n = this.uleb();
    if (n > this.end - this.pos)
      throw new WasmParseError(`vector of ${n} items in ${this.end - this.pos} bytes`);
    return n;
  }

  name(): string {
    const len = this.count();
    const s = utf8.decode(this.bytes.subarray(this.pos, this.pos + len));
    this.pos += len;
    return s;
  }

  valtype(): ValType {
    const b = this.u8();
    const t = VALTYPES[b];
    if (t === undefined) throw new WasmParseError(`unsupported value type 0x${b.toString(16)}`);
    return t;
  }

  limits(): Limits {
    const flags = this.u8();
    if (flags > 0x07) throw new WasmParseError(`unsupported limits flags 0x${flags.toString(16)}`);
    const memory64 = (flags & 0x04) !== 0;
    const bits = memory64 ? 64 : 32;
    const min = this.uleb(bits);
    const max = (flags & 0x01) !== 0 ? this.uleb(bits) : null;
    return { min, max, shared: (flags & 0x02) !== 0, memory64 };
  }
}

export function readWasmSections(bytes: Uint8Array): WasmSections {
  const out: WasmSections = { types: [], imports: [], functions: [], memories: [], exports: [] };
  const r = new Reader(bytes, 0, bytes.length);
  if (r.u8() !== 0x00 || r.u8() !== 0x61 || r.u8() !== 0x73 || r.u8() !== 0x6d) {
    throw new WasmParseError('not a WebAssembly binary (no \\0asm magic)');
  }
  const version = r.u8() | (r.u8() << 8) | (r.u8() << 16) | (r.u8() << 24);
  if (version !== 1) throw new WasmParseError(`binary format version ${version}, expected 1`);
  while (r.pos < r.end) {
    const id = r.u8();
    const size = r.uleb();
    const end = r.pos + size;
    if (end > r.end) throw new WasmParseError(`section ${id} runs past the end of the module`);
    const s = new Reader(bytes, r.pos, end);
    switch (id) {
      case SECTION_TYPE:
        readTypes(s, out);
        break;
      case SECTION_IMPORT:
        readImports(s, out);
        break;
      case SECTION_FUNCTION:
        for (let n = s.count(); n > 0; n--) out.functions.push(s.uleb());
        break;
      case SECTION_MEMORY:
        for (let n = s.count(); n > 0; n--) out.memories.push(s.limits());
        break;
      case SECTION_EXPORT:
        readExports(s, out);
        break;
      default:
        s.pos = end; // code, data, tables, globals, custom sections: not needed
    }
    if (s.pos !== end) throw new WasmParseError(`section ${id} has ${end - s.pos} unread bytes`);
    r.pos = end;
  }
  return out;
}

function readTypes(s: Reader, out: WasmSections): void {
  for (let n = s.count(); n > 0; n--) {
    const form = s.u8();
    if (form !== 0x60) {
      throw new WasmParseError(`type form 0x${form.toString(16)} (only plain function types are supported)`);
    }
    const params: ValType[] = [];
    for (let k = s.count(); k > 0; k--) params.push(s.valtype());
    const results: ValType[] = [];
    for (let k = s.count(); k > 0; k--) results.push(s.valtype());
    out.types.push({ params, results });
  }
}

function readImports(s: Reader, out: WasmSections): void {
  for (let n = s.count(); n > 0; n--) {
    const module = s.name();
    const field = s.name();
    const kind = s.u8();
    let desc: ImportDesc;
    switch (kind) {
      case 0x00:
        desc = { kind: 'function', typeIndex: s.uleb() };
        break;
      case 0x01:
        s.valtype();
        s.limits();
        desc = { kind: 'table' };
        break;
      case 0x02:
        desc = { kind: 'memory', limits: s.limits() };
        break;
      case 0x03:
        s.valtype();
        s.u8();
        desc = { kind: 'global' };
        break;
      case 0x04:
        s.u8();
        s.uleb();
        desc = { kind: 'tag' };
        break;
      default:
        throw new WasmParseError(`unknown import kind 0x${kind.toString(16)} for ${module}.${field}`);
    }
    out.imports.push({ module, field, desc });
  }
}

function readExports(s: Reader, out: WasmSections): void {
  for (let n = s.count(); n > 0; n--) {
    const name = s.name();
    const k = s.u8();
    const kind = EXPORT_KINDS[k];
    if (kind === undefined) throw new WasmParseError(`unknown export kind 0x${k.toString(16)} for ${name}`);
    out.exports.push({ name, kind, index: s.uleb() });
  }
}

/** `i32 f64 -> i32`, the notation of abi.ts. */
export function formatSignature(t: FuncType): string {
  return `${t.params.join(' ')} -> ${t.results.join(' ')}`;
}
