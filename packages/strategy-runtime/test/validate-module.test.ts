import { describe, expect, it } from 'vitest';
import {
  type StrategyValidationCode,
  StrategyValidationError,
  TIER_LIMITS,
  validateStrategyModule,
} from '../src/index.ts';
import { strategyWat, wat } from './fixtures/wat.ts';

const FREE = TIER_LIMITS.FREE;

async function refusal(text: string | Uint8Array, limits = FREE): Promise<StrategyValidationError> {
  const bytes = typeof text === 'string' ? await wat(text) : text;
  try {
    validateStrategyModule(bytes, limits);
  } catch (err) {
    if (err instanceof StrategyValidationError) return err;
    throw err;
  }
  throw new Error('the module was accepted');
}

async function expectRefused(text: string | Uint8Array, code: StrategyValidationCode, message: RegExp) {
  const err = await refusal(text);
  expect(err.code).toBe(code);
  expect(err.message).toMatch(message);
  return err;
}

describe('validateStrategyModule', () => {
  it('accepts a well-formed strategy and reports its memory and optional callbacks', async () => {
    const bytes = await wat(
      strategyWat({
        memory: '2 8',
        extra:
          '(func (export "qt_on_timer") (param i32 f64)) (func (export "helper") (result i32) (i32.const 0))',
      }),
    );
    const v = validateStrategyModule(bytes, FREE);
    expect(v.memory).toEqual({ initialPages: 2, maximumPages: 8 });
    expect(v.callbacks).toEqual(['qt_on_timer']);
    expect(v.sizeBytes).toBe(bytes.byteLength);
  });

  it('accepts every qt import and env.abort/env.trace with their exact signatures', async () => {
    const imports = `
      (import "qt" "cancel_order" (func (param i32) (result i32)))
      (import "qt" "cancel_all" (func (param i32) (result i32)))
      (import "qt" "position" (func (param i32) (result f64)))
      (import "qt" "free_balance" (func (param i32 i32) (result f64)))
      (import "qt" "now" (func (result f64)))
      (import "qt" "set_timer" (func (param f64 i32) (result i32)))
      (import "qt" "log" (func (param i32 i32 i32)))
      (import "qt" "ind_create" (func (param i32 f64 f64 f64) (result i32)))
      (import "qt" "ind_update" (func (param i32 f64 f64 f64 f64) (result f64)))
      (import "qt" "ind_value" (func (param i32 i32) (result f64)))
      (import "env" "abort" (func (param i32 i32 i32 i32)))
      (import "env" "trace" (func (param i32 i32 f64 f64 f64 f64 f64)))`;
    expect(() => validateStrategyModule(new Uint8Array(0), FREE)).toThrow(StrategyValidationError);
    const v = validateStrategyModule(await wat(strategyWat({ imports })), FREE);
    expect(v.memory.maximumPages).toBe(4);
  });

  it('refuses a module above the tier size cap before compiling it', async () => {
    const huge = new Uint8Array(FREE.moduleBytes + 1); // not even wasm: size is checked first
    const err = await expectRefused(
      huge,
      'MODULE_TOO_LARGE',
      /1048577 bytes.*FREE tier accepts at most 1048576/,
    );
    expect(err.toAppError().code).toBe('STRATEGY_INVALID_MODULE');
    expect(err.toAppError().details).toEqual({ reason: 'MODULE_TOO_LARGE' });
    // The same bytes are under the PRO cap: the refusal there is about the content, not the size.
    expect((await refusal(huge, TIER_LIMITS.PRO)).code).toBe('MALFORMED_MODULE');
  });

  it('refuses a malformed binary with the compiler message', async () => {
    const good = await wat(strategyWat());
    await expectRefused(
      good.subarray(0, good.length - 3),
      'MALFORMED_MODULE',
      /not a valid WebAssembly module: .+/,
    );
    await expectRefused(
      new TextEncoder().encode('hello'),
      'MALFORMED_MODULE',
      /not a valid WebAssembly module/,
    );
  });

  it('refuses WASI and env imports outside the ABI, naming them', async () => {
    await expectRefused(
      strategyWat({
        imports: '(import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))',
      }),
      'FORBIDDEN_IMPORT',
      /"wasi_snapshot_preview1\.fd_write".*not part of the strategy host ABI v1.*qt\.place_order/,
    );
    await expectRefused(
      strategyWat({ imports: '(import "env" "seed" (func (result f64)))' }),
      'FORBIDDEN_IMPORT',
      /"env\.seed"/,
    );
    await expectRefused(
      strategyWat({ imports: '(import "qt" "open_socket" (func))' }),
      'FORBIDDEN_IMPORT',
      /"qt\.open_socket"/,
    );
  });

  it('refuses imported memories, tables and globals', async () => {
    await expectRefused(
      `(module (import "env" "memory" (memory 1 2)) (export "memory" (memory 0)))`,
      'FORBIDDEN_IMPORT',
      /imports a memory "env\.memory"/,
    );
    await expectRefused(
      strategyWat({ imports: '(import "env" "table" (table 1 funcref))' }),
      'FORBIDDEN_IMPORT',
      /imports a table "env\.table"/,
    );
    await expectRefused(
      strategyWat({ imports: '(import "qt" "now" (global f64))' }),
      'FORBIDDEN_IMPORT',
      /imports a global "qt\.now"/,
    );
  });

  it('refuses an ABI import with the wrong signature, showing both', async () => {
    await expectRefused(
      strategyWat({ imports: '(import "qt" "now" (func (result i64)))' }),
      'IMPORT_SIGNATURE_MISMATCH',
      /"qt\.now" as \( -> i64\); the host ABI v1 defines it as \( -> f64\)/,
    );
    await expectRefused(
      strategyWat({ imports: '(import "env" "abort" (func (param i32 i32 i32)))' }),
      'IMPORT_SIGNATURE_MISMATCH',
      /"env\.abort"/,
    );
  });

  it('refuses a memory without a maximum', async () => {
    await expectRefused(
      strategyWat({ memory: '2' }),
      'MEMORY_NO_MAXIMUM',
      /declares no maximum.*256 pages \(16 MiB\)/,
    );
  });

  it('refuses a maximum or an initial memory above the tier cap', async () => {
    await expectRefused(
      strategyWat({ memory: '2 257' }),
      'MEMORY_OVER_CAP',
      /maximum memory is 257 pages.*FREE tier allows at most 256 pages/,
    );
    await expectRefused(strategyWat({ memory: '300 300' }), 'MEMORY_OVER_CAP', /initial memory is 300 pages/);
    // The PRO cap is 1024 pages.
    expect(
      validateStrategyModule(await wat(strategyWat({ memory: '2 1024' })), TIER_LIMITS.PRO),
    ).toBeTruthy();
    expect((await refusal(strategyWat({ memory: '2 1025' }), TIER_LIMITS.PRO)).code).toBe('MEMORY_OVER_CAP');
  });

  it('refuses a shared memory', async () => {
    await expectRefused(strategyWat({ memory: '2 4 shared' }), 'SHARED_MEMORY', /shared memory/);
  });

  it('refuses a module with more than one memory', async () => {
    // Two memories: V8 in Node 20 does not compile multi-memory at all; either way it is refused.
    const bytes = withSecondMemory(await wat(strategyWat()));
    const err = await refusal(bytes);
    expect(['MALFORMED_MODULE', 'MULTIPLE_MEMORIES']).toContain(err.code);
  });

  it('refuses a module missing a required export, naming it and its signature', async () => {
    const text = strategyWat().replace('(export "qt_scratch")', '');
    await expectRefused(text, 'MISSING_EXPORT', /does not export "qt_scratch" \( -> i32\)/);
    await expectRefused(
      strategyWat().replace('(memory (export "memory")', '(memory'),
      'MISSING_EXPORT',
      /does not export its memory as "memory"/,
    );
  });

  it('refuses a required or optional export with the wrong signature', async () => {
    await expectRefused(
      strategyWat().replace(
        '(func (export "qt_init") (param $len i32)',
        '(func (export "qt_init") (param $len f64)',
      ),
      'EXPORT_SIGNATURE_MISMATCH',
      /"qt_init" as \(f64 -> i32\); the host ABI v1 expects \(i32 -> i32\)/,
    );
    await expectRefused(
      strategyWat({ extra: '(func (export "qt_on_timer") (param i32 i32))' }),
      'EXPORT_SIGNATURE_MISMATCH',
      /"qt_on_timer" as \(i32 i32 -> \)/,
    );
    await expectRefused(
      strategyWat({ extra: '(global (export "qt_on_fill") i32 (i32.const 0))' }),
      'EXPORT_SIGNATURE_MISMATCH',
      /"qt_on_fill" as a global/,
    );
  });

  it('reads the signature of an export that re-exports an import', async () => {
    // Function index 0 is the import qt.place_order; exporting it as qt_init has the wrong signature.
    await expectRefused(
      strategyWat().replace(
        '(func (export "qt_init") (param $len i32) (result i32) (i32.const 0))',
        '(export "qt_init" (func $place))',
      ),
      'EXPORT_SIGNATURE_MISMATCH',
      /"qt_init" as \(i32 i32 i32 f64 f64 f64 i32 i32 -> i32\)/,
    );
  });
});

/** Appends a second memory to the module's memory section (byte-level: wabt refuses to write one). */
function withSecondMemory(bytes: Uint8Array): Uint8Array {
  let pos = 8;
  while (pos < bytes.length) {
    const id = bytes[pos] as number;
    const size = bytes[pos + 1] as number; // fixture sections here are small: one-byte LEB sizes
    if (id === 5) {
      // count 1 -> 2, append limits { flags 1, min 1, max 1 }; the section grows by 3 bytes
      const out = new Uint8Array(bytes.length + 3);
      out.set(bytes.subarray(0, pos));
      out[pos] = 5;
      out[pos + 1] = size + 3;
      out.set(bytes.subarray(pos + 2, pos + 2 + size), pos + 2);
      out[pos + 2] = 2;
      out.set([1, 1, 1], pos + 2 + size);
      out.set(bytes.subarray(pos + 2 + size), pos + 5 + size);
      return out;
    }
    pos += 2 + size;
  }
  throw new Error('no memory section');
}
