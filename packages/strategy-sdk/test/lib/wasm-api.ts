// The slice of the WebAssembly JS API the tests use, typed locally: TypeScript declares the API only in
// lib.dom, and a global declaration here could clash with the runtime package's partial one.

export interface WasmInstance {
  exports: Record<string, unknown>;
}

interface WasmApi {
  instantiate(
    bytes: Uint8Array,
    imports: Record<string, Record<string, unknown>>,
  ): Promise<{ instance: WasmInstance }>;
}

export const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** An exported global's value, or undefined for anything else. */
export function globalValue(value: unknown): number | undefined {
  if (typeof value !== 'object' || value === null || !('value' in value)) return undefined;
  return Number(value.value);
}
