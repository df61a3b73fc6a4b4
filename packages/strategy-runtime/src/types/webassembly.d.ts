// The part of the WebAssembly JS API this package uses. TypeScript declares it only in lib.dom and
// lib.webworker, which would bring the whole browser global scope into a Node package, and
// @types/node 20 does not declare it. Shapes as in lib.dom.d.ts (interface + var), so they merge with
// other partial declarations (esbuild declares an empty `WebAssembly.Module` interface).
declare global {
  namespace WebAssembly {
    type ImportValue = ExportValue | number;
    type ExportValue = ((...args: never[]) => unknown) | Memory | Global | Table;
    type ModuleImports = Record<string, ImportValue>;
    type Imports = Record<string, ModuleImports>;
    type Exports = Record<string, ExportValue>;

    interface Module {}
    var Module: {
      prototype: Module;
      new (bytes: ArrayBufferView | ArrayBuffer): Module;
    };

    interface Instance {
      readonly exports: Exports;
    }
    var Instance: {
      prototype: Instance;
      new (module: Module, importObject?: Imports): Instance;
    };

    interface Memory {
      readonly buffer: ArrayBuffer;
      grow(delta: number): number;
    }
    var Memory: {
      prototype: Memory;
      new (descriptor: { initial: number; maximum?: number; shared?: boolean }): Memory;
    };

    interface Global {
      value: unknown;
    }
    interface Table {
      readonly length: number;
    }

    interface RuntimeError extends Error {}
    var RuntimeError: { prototype: RuntimeError; new (message?: string): RuntimeError };
    interface CompileError extends Error {}
    var CompileError: { prototype: CompileError; new (message?: string): CompileError };

    function validate(bytes: ArrayBufferView | ArrayBuffer): boolean;
  }
}

export {};
