import { describe, expect, it } from 'vitest';
import { bytesToBase64, fileToBase64, wasmHeaderProblem } from './wasm-base64';

const header = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

describe('bytesToBase64', () => {
  it('encodes like Node does, including the padding of short tails', () => {
    for (const n of [0, 1, 2, 3, 4, 5, 255, 256]) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 37 + 11) & 0xff);
      expect(bytesToBase64(bytes)).toBe(Buffer.from(bytes).toString('base64'));
    }
  });

  it('encodes a module larger than one chunk without overflowing the stack', () => {
    const bytes = Uint8Array.from({ length: 3 * 0x8000 + 7 }, (_, i) => (i * 131) & 0xff);
    expect(bytesToBase64(bytes)).toBe(Buffer.from(bytes).toString('base64'));
  });
});

describe('fileToBase64', () => {
  it('reads a picked file into base64', async () => {
    const file = new Blob([Uint8Array.from(header)]);
    expect(await fileToBase64(file)).toBe('AGFzbQEAAAA=');
  });
});

describe('wasmHeaderProblem', () => {
  it('accepts a version 1 module header', () => {
    expect(wasmHeaderProblem(Uint8Array.from(header))).toBeNull();
  });

  it('says a text file is not a WebAssembly binary', () => {
    expect(wasmHeaderProblem(new TextEncoder().encode('(module (func))'))).toMatch(
      /not a WebAssembly binary/,
    );
  });

  it('refuses a truncated file and an unknown version', () => {
    expect(wasmHeaderProblem(Uint8Array.from([0, 0x61]))).toMatch(/too short/);
    expect(wasmHeaderProblem(Uint8Array.from([...header.slice(0, 4), 2, 0, 0, 0]))).toMatch(/version 1/);
  });
});
