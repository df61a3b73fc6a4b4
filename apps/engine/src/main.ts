import { ConfigError, loadConfig } from './config/load-config.ts';
import { startEngine } from './engine.ts';
import { createLogger } from './observability/logger.ts';

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
  const engine = await startEngine({ config, logger });

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

  let firstSignalAt = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    if (firstSignalAt > 0) {
      // One Ctrl-C reaches us several times within milliseconds (the terminal's process group, the
      // tsx wrapper, npm start's supervisor): only a signal sent later, on purpose, cuts shutdown short.
      if (Date.now() - firstSignalAt < 2_000) return;
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    firstSignalAt = Date.now();
    logger.info({ signal }, 'shutting down');
    const hardStop = setTimeout(() => {
      logger.error('shutdown deadline passed: exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs + 1_000);
    hardStop.unref();
    engine.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

main().catch((err: unknown) => {
  process.stderr.write(
    `quant-trader engine failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
