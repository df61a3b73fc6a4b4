import type { CompileDiagnostic } from '@qt/strategy-sdk';

/** Engine -> compiler worker: compile one single-file AssemblyScript strategy. */
export interface CompileRequest {
  id: number;
  source: string;
  maximumMemoryPages: number;
}

/** Compiler worker -> engine: loaded (once, first), then per request the module or why it did not compile. */
export type CompileReady = { ready: true };

export type CompileReply =
  | { id: number; ok: true; wasm: Uint8Array; compileMs: number }
  | {
      id: number;
      ok: false;
      kind: 'diagnostics';
      message: string;
      diagnostics: CompileDiagnostic[];
      compileMs: number;
    }
  | { id: number; ok: false; kind: 'internal'; message: string };
