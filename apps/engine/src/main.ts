import { venuesUnreachable, venuesUnreachableMessage } from '@qt/shared';
import { ConfigError, loadConfig } from './config/load-config.ts';
import { type Engine, startEngine } from './engine.ts';
import { createLogger, type Logger } from './observability/logger.ts';

/**
 * The engine process: parse config, start, and stop gracefully on SIGTERM/SIGINT (stop intake, drain,
 * exit within SHUTDOWN_TIMEOUT_MS even if something hangs).
 */
async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig({ env: process.env });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`quant-trader engine: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger(config.logLevel, config.instanceId);

  // Signals are ours from before the start: a Ctrl-C while the embedded database starts or migrations
  // run must not kill the process outright (the detached database would be left running). A signal
  // during the start stops the engine as soon as it is up (or lets the failed start clean up).
  let engine: Engine | null = null;
  let firstSignalAt = 0;
  const stop = (e: Engine) =>
    e.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  const onSignal = (signal: NodeJS.Signals) => {
    if (firstSignalAt > 0) {
      // One Ctrl-C reaches us several times within milliseconds (the terminal's process group, the
      // tsx wrapper, npm start's supervisor): only a signal sent later, on purpose, cuts shutdown short.
      if (Date.now() - firstSignalAt < 2_000) return;
      // The operator's choice, not a crash: the deployments were released when the shutdown began (no
      // crash strike at the next start); what was still draining is left as after a deadline. The exit
      // status says "ended by this signal" (128 + its number), not a failure. The embedded database
      // gets a fast shutdown from its exit handler.
      logger.warn({ signal }, 'second signal: exiting now, shutdown cut short');
      process.exit(128 + (signal === 'SIGINT' ? 2 : 15));
    }
    firstSignalAt = Date.now();
    logger.info({ signal, starting: engine === null }, 'shutting down');
    const hardStop = setTimeout(() => {
      logger.error('shutdown deadline passed: exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs + 1_000);
    hardStop.unref();
    if (engine) void stop(engine);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  engine = await startEngine({ config, logger });
  if (firstSignalAt > 0) {
    void stop(engine);
    return;
  }

  watchVenues(engine, logger);

  const webUrl = process.env.QT_WEB_URL;
  logger.info(
    {
      api: `${engine.server.url}/trpc`,
      ws: engine.server.wsUrl,
      dashboard: webUrl,
      demo: engine.demo?.email,
    },
    'engine ready',
  );
}

/** How often the feeds are checked for "no venue reachable", and how long that must last before saying so. */
const venueCheckEveryMs = 2_000;
const venueUnreachableAfterMs = 4_000;

/**
 * Offline (or behind a network that blocks the venues), every feed retries for ever: one clear line says
 * so and offers the simulator, instead of a connect warning per venue every few seconds (those are rate
 * limited by the logger). Said again only after the venues were reachable in between.
 */
function watchVenues(engine: Engine, logger: Logger): void {
  const market = engine.market;
  if (!market) return;
  let since: number | null = null;
  let said = false;
  const timer = setInterval(() => {
    const down = venuesUnreachable(market.port.feeds());
    if (!down) {
      if (said) logger.info('venues reachable again: live market data resumes');
      since = null;
      said = false;
      return;
    }
    since ??= Date.now();
    if (!said && Date.now() - since >= venueUnreachableAfterMs) {
      said = true;
      logger.error({ venues: down.venues, reason: down.reason }, venuesUnreachableMessage(down));
    }
  }, venueCheckEveryMs);
  timer.unref();
}

main().catch((err: unknown) => {
  process.stderr.write(
    `quant-trader engine failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
