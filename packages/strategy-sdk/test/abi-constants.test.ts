import {
  ABI_VERSION,
  HostError,
  IndicatorKind,
  MAX_ACTIONS_PER_CALL,
  OrderStatusCode,
  OrderTypeCode,
  RejectCode,
  SCRATCH_MIN_BYTES,
  Side,
  TimeInForceCode,
} from '@qt/strategy-runtime';
import { describe, expect, it } from 'vitest';
import { compileStrategy } from '../src/index.ts';
import { globalValue, wasm } from './lib/wasm-api.ts';

// The AssemblyScript enums in assembly/abi.ts become exported globals named "Enum.member" when the module
// re-exports them, so the values the compiler actually emits are compared with packages/strategy-runtime.
const enums: Record<string, Readonly<Record<string, number>>> = {
  Side,
  OrderTypeCode,
  TimeInForceCode,
  OrderStatusCode,
  RejectCode,
  HostError,
  IndicatorKind,
};
const scalars: Record<string, number> = { ABI_VERSION, SCRATCH_MIN_BYTES, MAX_ACTIONS_PER_CALL };

/** `new` is reserved in AssemblyScript, so the SDK spells that member `new_`. */
const asName = (member: string) => (member === 'new' ? 'new_' : member);

describe('assembly/abi.ts', () => {
  it('agrees with the host ABI constants, member for member', async () => {
    const binary = await compileStrategy('export * from "@qt/strategy-sdk/abi";\n');
    const { instance } = await wasm.instantiate(binary, { env: { abort: () => {} } });
    const globals = new Map<string, number>();
    for (const [name, value] of Object.entries(instance.exports)) {
      const v = globalValue(value);
      if (v !== undefined) globals.set(name, v);
    }
    const expected = new Map<string, number>(Object.entries(scalars));
    for (const [name, members] of Object.entries(enums)) {
      for (const [member, value] of Object.entries(members)) expected.set(`${name}.${asName(member)}`, value);
    }
    // Every global named like a mirrored constant or enum member, so an extra AS member fails the test too.
    const enumNames = Object.keys(enums);
    const mirrored = new Map(
      [...globals].filter(([name]) => expected.has(name) || enumNames.some((e) => name.startsWith(`${e}.`))),
    );
    expect(new Map([...mirrored].sort())).toEqual(new Map([...expected].sort()));
  }, 180_000);
});
