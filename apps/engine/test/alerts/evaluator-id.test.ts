import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { alertEvaluatorId, INSTANCE_ID_FILE } from '../../src/alerts/evaluator-id.ts';
import { defaultInstanceId } from '../../src/config/load-config.ts';

describe('alert evaluator id', () => {
  const dirs: string[] = [];
  const dir = () => {
    const d = mkdtempSync(join(tmpdir(), 'qt-evalid-'));
    dirs.push(d);
    return d;
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('is INSTANCE_ID when it is set', () => {
    expect(alertEvaluatorId({ instanceId: 'eu-1', explicit: true, dataDir: dir() })).toBe('alerts:eu-1');
  });

  it('without INSTANCE_ID: generated once, kept in DATA_DIR (0600), the same at every start', () => {
    const d = dir();
    // What load-config puts in when INSTANCE_ID is unset: it changes with every process.
    const implicit = { instanceId: defaultInstanceId(), explicit: false, dataDir: d };
    const first = alertEvaluatorId(implicit);
    expect(first).toMatch(/^alerts:engine-[0-9a-f]{16}$/);
    expect(alertEvaluatorId({ ...implicit, instanceId: 'otherhost-4242' })).toBe(first);
    expect(`alerts:${readFileSync(join(d, INSTANCE_ID_FILE), 'utf8').trim()}`).toBe(first);
    expect(statSync(join(d, INSTANCE_ID_FILE)).mode & 0o777).toBe(0o600);
    // Another data folder, another engine.
    expect(alertEvaluatorId({ ...implicit, dataDir: dir() })).not.toBe(first);
  });

  it('refuses a damaged id file rather than running under another id', () => {
    const d = dir();
    writeFileSync(join(d, INSTANCE_ID_FILE), 'not an id!\n');
    expect(() => alertEvaluatorId({ instanceId: '', explicit: false, dataDir: d })).toThrow(/instance-id/);
  });
});
