import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/load-config.ts';

const noFile = '/nonexistent/quant-trader.yaml';

describe('ALERT_WEBHOOK_ALLOW is checked when the configuration loads', () => {
  it('refuses a malformed or too wide entry with an error naming the variable and the entry', () => {
    for (const bad of ['127.0.0.1/', '10.0.0.0/7', '0.0.0.0/0', 'localhost', '::1/129']) {
      const load = () => loadConfig({ env: { QT_CONFIG: noFile, ALERT_WEBHOOK_ALLOW: `::1,${bad}` } });
      expect(load, bad).toThrow(ConfigError);
      expect(load, bad).toThrow(/ALERT_WEBHOOK_ALLOW/);
      expect(load, bad).toThrow(bad);
    }
  });

  it('accepts addresses and blocks up to /8 (IPv4) and /32 (IPv6)', () => {
    const c = loadConfig({
      env: { QT_CONFIG: noFile, ALERT_WEBHOOK_ALLOW: '127.0.0.1/32, ::1, 10.0.0.0/8, fd00::/32' },
    });
    expect(c.alertWebhookAllow).toEqual(['127.0.0.1/32', '::1', '10.0.0.0/8', 'fd00::/32']);
  });
});
