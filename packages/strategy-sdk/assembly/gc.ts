// Garbage collection between callbacks. compileStrategy builds modules with the minimal runtime (see
// src/compile.ts): its collector never starts by itself, and may only run when no object is reachable
// from the stack alone. That holds once a callback has returned to the exported function that called it
// (strategies are reachable from globals, and the host never calls into the module during a callback),
// so every export calls collectIfDue() last.

/** ASC_RUNTIME of `--runtime minimal` (the compiler's Runtime.Minimal). */
const MINIMAL_RUNTIME: i32 = 1;

/** Garbage allowed to pile up even when little is live: collecting a small heap is cheap but not free. */
const MIN_ALLOWANCE: usize = 256 << 10;

/** Collect once managed objects take this many bytes (live and garbage). */
let collectAt: usize = MIN_ALLOWANCE;

export function collectIfDue(): void {
  // The incremental runtime collects by itself during allocation; the stub runtime never frees.
  if (ASC_RUNTIME != MINIMAL_RUNTIME) return;
  if (isDefined(__qt_gc_total)) {
    if (__qt_gc_total() < collectAt) return;
    __collect();
    const live = __qt_gc_total();
    // The next collection after half the live size again: a collection costs about the live heap, so
    // this bounds its cost per byte allocated and keeps the heap near 1.5x what is live.
    collectAt = live + max(live >> 1, MIN_ALLOWANCE);
  } else {
    // asc run by hand with --runtime minimal: nothing would ever be freed.
    ERROR(
      "@qt/strategy-sdk: build with compileStrategy, which adds the minimal runtime's byte count, or pass --runtime incremental to asc",
    );
  }
}
