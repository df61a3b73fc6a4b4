import {
  type CallOutcome,
  isStrategyValidationError,
  type StrategyHostView,
  StrategySandbox,
  TIER_LIMITS,
} from '@qt/strategy-runtime';
import type { HostSnapshot, RunningStrategy, StartStrategy } from './running-strategy.ts';

/**
 * Live strategies run in the runtime's StrategySandbox: one worker thread each, watched by the shared
 * watchdog. The sandbox reads its host view synchronously when an event is sent, so the runner's
 * snapshot for that event is installed just before (the runner sends one event at a time).
 */
export const startSandboxStrategy: StartStrategy = async (input) => {
  let current: HostSnapshot = input.view;
  const view: StrategyHostView = {
    now: () => current.now,
    position: (i) => current.positions[i] ?? 0,
    freeBalance: (i, which) => current.free[i]?.[which] ?? 0,
  };
  const sandbox = new StrategySandbox();
  let outcome: CallOutcome;
  try {
    outcome = await sandbox.start({
      bytes: input.wasm,
      params: input.params,
      instruments: input.instruments,
      limits: TIER_LIMITS[input.tier],
      view,
    });
  } catch (err) {
    await sandbox.stop().catch(() => undefined);
    // Stored versions were validated at upload; a tier downgrade since can make one too big now.
    if (isStrategyValidationError(err)) {
      return {
        ok: false,
        outcome: { ok: false, trap: { code: 'INIT_REFUSED', message: err.message }, logs: [] },
      };
    }
    throw err;
  }
  if (!outcome.ok) {
    await sandbox.stop().catch(() => undefined);
    return { ok: false, outcome };
  }
  const strategy: RunningStrategy = {
    onCandle(instrument, candle, v) {
      current = v;
      return sandbox.onCandle(instrument, candle);
    },
    onFill(fill, v) {
      current = v;
      return sandbox.onFill(fill);
    },
    onOrder(update, v) {
      current = v;
      return sandbox.onOrder(update);
    },
    onTimer(timerId, time, v) {
      current = v;
      return sandbox.onTimer(timerId, time);
    },
    metrics() {
      const m = sandbox.metrics();
      return {
        calls: m.calls,
        totalCallMicros: m.totalCallMs * 1_000,
        maxCallMicros: m.maxCallMs * 1_000,
        traps: m.traps,
        droppedLogLines: m.logLinesDropped,
      };
    },
    stop: () => sandbox.stop(),
  };
  return { ok: true, strategy, outcome };
};
