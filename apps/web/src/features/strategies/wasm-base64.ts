/**
 * The upload sends the module as base64 (tRPC speaks JSON). Built in chunks: `String.fromCharCode(...bytes)`
 * on a whole multi-megabyte module would overflow the call stack's argument limit.
 */
const CHUNK = 0x8000;

export function bytesToBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += CHUNK) {
    binary += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  }
  return btoa(binary);
}

/** A file the person picked, as base64, read in the browser (nothing is uploaded until they submit). */
export async function fileToBase64(file: Blob): Promise<string> {
  return bytesToBase64(new Uint8Array(await file.arrayBuffer()));
}

/** WebAssembly's magic number and version 1: `\0asm` then 01 00 00 00. */
const WASM_HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

/**
 * A quick look before sending megabytes the engine would refuse anyway: a file that does not even start
 * like a WebAssembly module (a .wat text, a .ts source) gets a message that says what to pick instead.
 * Everything deeper (imports, exports, memory) is the engine's validation, which has the tier's limits.
 */
export function wasmHeaderProblem(bytes: Uint8Array): string | null {
  if (bytes.length < WASM_HEADER.length) return 'The file is too short to be a WebAssembly module.';
  const magic = WASM_HEADER.slice(0, 4).every((b, i) => bytes[i] === b);
  if (!magic)
    return 'The file is not a WebAssembly binary (it does not start with \\0asm). Pick the .wasm your build produced, not its source or .wat text.';
  const version = WASM_HEADER.slice(4).every((b, i) => bytes[i + 4] === b);
  if (!version) return 'The module is not WebAssembly version 1, the only version the sandbox runs.';
  return null;
}
