/// <reference path="../types/webassembly.d.ts" />
import { AppError } from '@qt/shared';
import { ENV_IMPORTS, HOST_IMPORTS, HOST_MODULE, OPTIONAL_EXPORTS, REQUIRED_EXPORTS } from '../abi.ts';
import { type TierLimits, WASM_PAGE_BYTES } from '../tier-limits.ts';
import { type FuncType, formatSignature, readWasmSections, type WasmSections } from './wasm-sections.ts';

/** Why an upload was refused; stable, so the API and users' scripts can branch on it. */
export type StrategyValidationCode =
  | 'MODULE_TOO_LARGE'
  | 'MALFORMED_MODULE'
  | 'FORBIDDEN_IMPORT'
  | 'IMPORT_SIGNATURE_MISMATCH'
  | 'MISSING_EXPORT'
  | 'EXPORT_SIGNATURE_MISMATCH'
  | 'MEMORY_NO_MAXIMUM'
  | 'MEMORY_OVER_CAP'
  | 'MULTIPLE_MEMORIES'
  | 'SHARED_MEMORY'
  | 'MEMORY64';

/**
 * A module refused at upload. Its `code` is the precise reason above (not an AppError code, hence not
 * an AppError); `toAppError()` is the one mapping to the API's STRATEGY_INVALID_MODULE, which carries
 * this code as `details.reason`.
 */
export class StrategyValidationError extends Error {
  readonly code: StrategyValidationCode;

  constructor(code: StrategyValidationCode, message: string) {
    super(message);
    this.name = 'StrategyValidationError';
    this.code = code;
  }

  toAppError(): AppError {
    return new AppError('STRATEGY_INVALID_MODULE', this.message, { reason: this.code }, { cause: this });
  }
}

export function isStrategyValidationError(err: unknown): err is StrategyValidationError {
  return err instanceof StrategyValidationError;
}

export interface ValidatedModule {
  /** Compiled once here; a WebAssembly.Module can be posted to a worker without recompiling. */
  module: WebAssembly.Module;
  sizeBytes: number;
  /** Declared initial and maximum linear memory, in 64 KiB pages. */
  memory: { initialPages: number; maximumPages: number };
  /** The optional callbacks the module exports (qt_on_trade, ...). */
  callbacks: (keyof typeof OPTIONAL_EXPORTS)[];
}

/**
 * Checks a strategy module against the host ABI and the tier's limits, in the order a user would want
 * to hear about problems: size, well-formedness, imports, memory, exports. Compiles synchronously
 * (`new WebAssembly.Module`) so callers in a worker (the backtester) need no await; modules are at most
 * 16 MiB and V8's baseline compiler handles that in well under a second.
 */
export function validateStrategyModule(bytes: Uint8Array, limits: TierLimits): ValidatedModule {
  if (bytes.byteLength > limits.moduleBytes) {
    throw new StrategyValidationError(
      'MODULE_TOO_LARGE',
      `The module is ${bytes.byteLength} bytes; the ${limits.tier} tier accepts at most ${limits.moduleBytes} bytes ` +
        `(${mib(limits.moduleBytes)}). Build with optimisation (e.g. asc -O3 --noAssert) or strip custom sections.`,
    );
  }
  let module: WebAssembly.Module;
  try {
    module = new WebAssembly.Module(bytes);
  } catch (err) {
    throw new StrategyValidationError(
      'MALFORMED_MODULE',
      `The file is not a valid WebAssembly module: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  let sections: WasmSections;
  try {
    sections = readWasmSections(bytes);
  } catch (err) {
    throw new StrategyValidationError(
      'MALFORMED_MODULE',
      `The module uses a WebAssembly feature strategies may not use: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  checkImports(sections);
  const memory = checkMemory(sections, limits);
  const callbacks = checkExports(sections);
  return { module, sizeBytes: bytes.byteLength, memory, callbacks };
}

const ALLOWED_IMPORTS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  [HOST_MODULE]: HOST_IMPORTS,
  env: ENV_IMPORTS,
};

function allowedList(): string {
  return Object.entries(ALLOWED_IMPORTS)
    .flatMap(([m, fields]) => Object.keys(fields).map((f) => `${m}.${f}`))
    .join(', ');
}

function checkImports(s: WasmSections): void {
  for (const imp of s.imports) {
    const name = `${imp.module}.${imp.field}`;
    const expected = Object.hasOwn(ALLOWED_IMPORTS, imp.module)
      ? (ALLOWED_IMPORTS[imp.module] as Record<string, string>)
      : undefined;
    const sig = expected && Object.hasOwn(expected, imp.field) ? expected[imp.field] : undefined;
    if (imp.desc.kind !== 'function') {
      throw new StrategyValidationError(
        'FORBIDDEN_IMPORT',
        `The module imports a ${imp.desc.kind} "${name}"; strategies may import only host functions ` +
          '(the memory must be defined and exported by the module itself, not imported).',
      );
    }
    if (sig === undefined) {
      throw new StrategyValidationError(
        'FORBIDDEN_IMPORT',
        `The module imports "${name}", which is not part of the strategy host ABI v1. Allowed imports: ` +
          `${allowedList()}. (WASI and other runtimes' imports are not available: strategies have no I/O.)`,
      );
    }
    const actual = typeAt(s, imp.desc.typeIndex);
    if (!sameSignature(actual, sig)) {
      throw new StrategyValidationError(
        'IMPORT_SIGNATURE_MISMATCH',
        `The module imports "${name}" as (${formatSignature(actual)}); the host ABI v1 defines it as ` +
          `(${normalizeSignature(sig)}).`,
      );
    }
  }
}

function checkMemory(s: WasmSections, limits: TierLimits): ValidatedModule['memory'] {
  if (s.memories.length > 1) {
    throw new StrategyValidationError(
      'MULTIPLE_MEMORIES',
      `The module defines ${s.memories.length} memories; strategies may have exactly one.`,
    );
  }
  const mem = s.memories[0];
  if (mem === undefined) {
    throw new StrategyValidationError(
      'MISSING_EXPORT',
      'The module defines no memory; it must define one and export it as "memory".',
    );
  }
  if (mem.memory64) {
    throw new StrategyValidationError(
      'MEMORY64',
      'The module uses a 64-bit memory; strategies use 32-bit memory.',
    );
  }
  if (mem.shared) {
    throw new StrategyValidationError(
      'SHARED_MEMORY',
      'The module declares a shared memory; strategies are single-threaded and may not share memory.',
    );
  }
  const cap = `${limits.memoryPages} pages (${mib(limits.memoryPages * WASM_PAGE_BYTES)})`;
  if (mem.max === null) {
    throw new StrategyValidationError(
      'MEMORY_NO_MAXIMUM',
      `The module's memory declares no maximum; declare one of at most ${cap} for the ${limits.tier} tier ` +
        '(AssemblyScript: --maximumMemory).',
    );
  }
  if (mem.min > limits.memoryPages) {
    throw new StrategyValidationError(
      'MEMORY_OVER_CAP',
      `The module's initial memory is ${mem.min} pages (${mib(mem.min * WASM_PAGE_BYTES)}); the ${limits.tier} ` +
        `tier allows at most ${cap}.`,
    );
  }
  if (mem.max > limits.memoryPages) {
    throw new StrategyValidationError(
      'MEMORY_OVER_CAP',
      `The module's maximum memory is ${mem.max} pages (${mib(mem.max * WASM_PAGE_BYTES)}); the ${limits.tier} ` +
        `tier allows at most ${cap}.`,
    );
  }
  return { initialPages: mem.min, maximumPages: mem.max };
}

function checkExports(s: WasmSections): ValidatedModule['callbacks'] {
  const byName = new Map(s.exports.map((e) => [e.name, e]));
  for (const [name, sig] of Object.entries(REQUIRED_EXPORTS)) {
    const exp = byName.get(name);
    if (sig === 'memory') {
      if (exp?.kind !== 'memory') {
        throw new StrategyValidationError(
          'MISSING_EXPORT',
          `The module does not export its memory as "${name}"` +
            (exp ? ` ("${name}" is a ${exp.kind}).` : '.'),
        );
      }
      continue;
    }
    if (exp === undefined) {
      throw new StrategyValidationError(
        'MISSING_EXPORT',
        `The module does not export "${name}" (${normalizeSignature(sig)}), which every strategy must have.`,
      );
    }
    checkExportSignature(s, name, exp.kind, exp.index, sig);
  }
  const callbacks: ValidatedModule['callbacks'] = [];
  for (const [name, sig] of Object.entries(OPTIONAL_EXPORTS)) {
    const exp = byName.get(name);
    if (exp === undefined) continue;
    checkExportSignature(s, name, exp.kind, exp.index, sig);
    callbacks.push(name as keyof typeof OPTIONAL_EXPORTS);
  }
  return callbacks;
}

function checkExportSignature(s: WasmSections, name: string, kind: string, index: number, sig: string): void {
  if (kind !== 'function') {
    throw new StrategyValidationError(
      'EXPORT_SIGNATURE_MISMATCH',
      `The module exports "${name}" as a ${kind}; it must be a function (${normalizeSignature(sig)}).`,
    );
  }
  const actual = functionType(s, index);
  if (!sameSignature(actual, sig)) {
    throw new StrategyValidationError(
      'EXPORT_SIGNATURE_MISMATCH',
      `The module exports "${name}" as (${formatSignature(actual)}); the host ABI v1 expects ` +
        `(${normalizeSignature(sig)}).`,
    );
  }
}

/** The function index space is the imported functions first, then the module's own. */
function functionType(s: WasmSections, index: number): FuncType {
  let imported = 0;
  for (const imp of s.imports) {
    if (imp.desc.kind !== 'function') continue;
    if (imported === index) return typeAt(s, imp.desc.typeIndex);
    imported++;
  }
  const typeIndex = s.functions[index - imported];
  if (typeIndex === undefined) throw malformed(`export refers to function ${index}, which does not exist`);
  return typeAt(s, typeIndex);
}

function typeAt(s: WasmSections, index: number): FuncType {
  const t = s.types[index];
  if (t === undefined) throw malformed(`type index ${index} out of range`);
  return t;
}

function malformed(why: string): StrategyValidationError {
  return new StrategyValidationError('MALFORMED_MODULE', `The module is inconsistent: ${why}.`);
}

/** `i32  f64->i32` and `i32 f64 -> i32` are the same signature. */
export function normalizeSignature(sig: string): string {
  const [params = '', results = ''] = sig.split('->');
  const words = (p: string) => p.trim().split(/\s+/).filter(Boolean).join(' ');
  return `${words(params)} -> ${words(results)}`;
}

function sameSignature(actual: FuncType, expected: string): boolean {
  return normalizeSignature(formatSignature(actual)) === normalizeSignature(expected);
}

function mib(bytes: number): string {
  return `${+(bytes / (1024 * 1024)).toFixed(2)} MiB`;
}
