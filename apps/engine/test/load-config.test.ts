import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config/load-config.ts';

const noFile = join(tmpdir(), 'does-not-exist-quant-trader.yaml');

describe('engine config', () => {
  it('has working defaults with an empty environment', () => {
    const c = loadConfig({ env: { QT_CONFIG: noFile } });
    expect(c.port).toBe(4000);
    expect(c.databaseUrl).toBeUndefined();
    expect(c.natsUrl).toBeUndefined();
    expect(c.instanceId).not.toBe('');
  });

  it('lets environment variables override the YAML file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'qt-config-'));
    const file = join(dir, 'quant-trader.yaml');
    writeFileSync(file, 'port: 5000\nlogLevel: debug\nwebOrigins: [https://a.example]\n');
    const c = loadConfig({ env: { ENGINE_PORT: '6000' }, file });
    expect(c.port).toBe(6000);
    expect(c.logLevel).toBe('debug');
    expect(c.webOrigins).toEqual(['https://a.example']);
  });

  it('parses comma-separated lists and treats empty strings as unset', () => {
    const c = loadConfig({ env: { QT_CONFIG: noFile, WEB_ORIGINS: 'http://a, http://b', DATABASE_URL: '' } });
    expect(c.webOrigins).toEqual(['http://a', 'http://b']);
    expect(c.databaseUrl).toBeUndefined();
  });

  it('names the environment variable in the error for a bad value', () => {
    expect(() => loadConfig({ env: { QT_CONFIG: noFile, ENGINE_PORT: 'eighty' } })).toThrow(ConfigError);
    expect(() => loadConfig({ env: { QT_CONFIG: noFile, SESSION_SECRET: 'short' } })).toThrow(
      /SESSION_SECRET/,
    );
  });

  it('refuses unknown keys in the YAML file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'qt-config-'));
    const file = join(dir, 'quant-trader.yaml');
    writeFileSync(file, 'prot: 5000\n');
    expect(() => loadConfig({ env: {}, file })).toThrow(/prot/);
  });
});
