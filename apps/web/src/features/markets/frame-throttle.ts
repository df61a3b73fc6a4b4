/**
 * Runs `draw` at most once per animation frame and at most every `minIntervalMs`, however often
 * `schedule` is called: hundreds of market updates a second become ~10 redraws, and a hidden tab
 * (no animation frames) does no drawing at all.
 */
export function createFrameThrottle(draw: () => void, minIntervalMs = 100) {
  let frame = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let lastDraw = Number.NEGATIVE_INFINITY;

  function requestFrame() {
    frame = requestAnimationFrame(() => {
      frame = 0;
      lastDraw = performance.now();
      draw();
    });
  }

  return {
    schedule() {
      if (frame || timer) return;
      const wait = lastDraw + minIntervalMs - performance.now();
      if (wait <= 0) requestFrame();
      else
        timer = setTimeout(() => {
          timer = undefined;
          requestFrame();
        }, wait);
    },
    cancel() {
      if (frame) cancelAnimationFrame(frame);
      if (timer) clearTimeout(timer);
      frame = 0;
      timer = undefined;
    },
  };
}
