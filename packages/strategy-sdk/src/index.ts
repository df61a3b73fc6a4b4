import { type CompileOptions, compileSource } from './compile.ts';

export { buildDir, buildExample, compileExample, examplesDir, exampleWasmPath } from './build-example.ts';
export { assemblyDir, type CompileOptions, DEFAULT_MAXIMUM_MEMORY_PAGES, sdkDir } from './compile.ts';
export { type CompileDiagnostic, StrategyCompileError, UnknownExampleError } from './errors.ts';
export { type ExampleInfo, type ExampleParam, exampleNames, examples } from './examples.ts';
export { type ModuleShape, readModuleShape } from './wasm-shape.ts';

/**
 * Compiles a user's single-file AssemblyScript strategy against the SDK (`import ... from "@qt/strategy-sdk"`,
 * `export * from "@qt/strategy-sdk/exports"`). Throws StrategyCompileError with the diagnostics.
 */
export async function compileStrategy(sourceText: string, options: CompileOptions = {}): Promise<Uint8Array> {
  return compileSource('strategy.ts', sourceText, options);
}
