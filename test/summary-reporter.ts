import type { Reporter, TestModule } from 'vitest/node';

/**
 * Adds one plain closing line, `tests: N passed, N failed, N skipped`, after vitest's own summary, so
 * CI logs (and anything that reads the last line) see the counts in one stable format.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    let failedFiles = 0;
    for (const mod of testModules) {
      let failedHere = 0;
      for (const test of mod.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed += 1;
        else if (state === 'failed') failedHere += 1;
        else skipped += 1;
      }
      failed += failedHere;
      // A file that failed to load, or whose setup (beforeAll) failed, fails even with no failed test.
      if (mod.state() === 'failed' && failedHere === 0) failedFiles += 1;
    }
    const files = failedFiles > 0 ? `, ${failedFiles} file(s) failed outside a test` : '';
    process.stdout.write(`\ntests: ${passed} passed, ${failed} failed, ${skipped} skipped${files}\n`);
  }
}
