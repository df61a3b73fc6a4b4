// `npm run build -w @qt/strategy-sdk`: compiles every example to build/<name>.wasm. Runs under
// `node --import tsx` so it can call the same TypeScript compile function the tests and the app use.
import { compileExample, exampleNames, exampleWasmPath } from '../src/index.ts';

const started = performance.now();
for (const name of exampleNames) {
  const t0 = performance.now();
  const binary = await compileExample(name);
  const ms = Math.round(performance.now() - t0);
  console.log(`${exampleWasmPath(name)}  ${binary.byteLength} bytes  ${ms} ms`);
}
console.log(`built ${exampleNames.length} examples in ${Math.round(performance.now() - started)} ms`);
