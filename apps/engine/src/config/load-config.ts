import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { parse as parseYaml } from 'yaml';
import { configSchema, type EngineConfig, envNames } from './config-schema.ts';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export interface ConfigSources {
  env: Record<string, string | undefined>;
  /** Path of the YAML file; `QT_CONFIG` or ./quant-trader.yaml when it exists. */
  file?: string;
  /** Highest precedence; for tests. */
  overrides?: Partial<EngineConfig>;
}

/** Parses YAML file + environment + overrides into a typed config, or throws one readable ConfigError. */
export function loadConfig(sources: ConfigSources): EngineConfig {
  const path = sources.file ?? sources.env.QT_CONFIG ?? 'quant-trader.yaml';
  let fromFile: Record<string, unknown> = {};
  if (existsSync(path)) {
    const parsed: unknown = parseYaml(readFileSync(path, 'utf8'));
    if (parsed !== null && (typeof parsed !== 'object' || Array.isArray(parsed))) {
      throw new ConfigError(`${path}: expected a mapping of settings at the top level`);
    }
    fromFile = (parsed as Record<string, unknown> | null) ?? {};
  } else if (sources.file) {
    throw new ConfigError(`config file ${path} does not exist`);
  }
  const fromEnv: Record<string, unknown> = {};
  for (const [key, name] of Object.entries(envNames)) {
    const value = sources.env[name];
    if (value !== undefined) fromEnv[key] = value;
  }
  const result = configSchema.safeParse({ ...fromFile, ...fromEnv, ...sources.overrides });
  if (!result.success) {
    const lines = result.error.issues.map((i) => {
      const key = String(i.path[0] ?? '');
      const env = envNames[key as keyof EngineConfig];
      return `  ${key}${env ? ` (${env})` : ''}: ${i.message}`;
    });
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const config = result.data;
  // Real Stripe without the endpoint's secret could verify no webhook: every payment would be lost.
  if (config.stripeSecretKey && !config.stripeWebhookSecret) {
    throw new ConfigError(
      'invalid configuration:\n  stripeWebhookSecret (STRIPE_WEBHOOK_SECRET): required when STRIPE_SECRET_KEY is set ' +
        "(the endpoint's signing secret, whsec_...; `stripe listen` prints one)",
    );
  }
  if (!config.instanceId) config.instanceId = defaultInstanceId();
  return config;
}

/**
 * INSTANCE_ID when none is set: names this process in logs and connections. Not stable across
 * restarts, so what must be (the alert evaluator's id) tells it apart from a set one (evaluator-id.ts).
 */
export function defaultInstanceId(): string {
  return `${hostname()}-${process.pid}`;
}
