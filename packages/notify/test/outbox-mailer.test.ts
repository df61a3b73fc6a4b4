import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { afterEach, describe, expect, it } from 'vitest';
import { createMailer } from '../src/create-mailer.ts';
import { OutboxMailer } from '../src/outbox-mailer.ts';
import { verifyEmailMail } from '../src/templates.ts';

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'qt-outbox-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function recordingLogger() {
  const lines: { obj: Record<string, unknown>; msg: string }[] = [];
  return {
    lines,
    info: (obj: object, msg = '') => void lines.push({ obj: obj as Record<string, unknown>, msg }),
    warn: (obj: object, msg = '') => void lines.push({ obj: obj as Record<string, unknown>, msg }),
  };
}

describe('OutboxMailer (no SMTP configured)', () => {
  it('is what createMailer picks without SMTP settings; writes one .eml per message, and does not log its link unless asked', async () => {
    const dir = join(tempDir(), 'outbox');
    const logger = recordingLogger();
    const mailer = createMailer({ from: 'Quant-Trader <no-reply@localhost>', outboxDir: dir }, logger);
    expect(mailer.kind).toBe('outbox');
    const link = 'http://localhost:3000/verify-email?token=tok1';
    await mailer.send(verifyEmailMail({ to: 'dana@example.test', link, expiresInHours: 24 }));
    await mailer.send(verifyEmailMail({ to: 'eve@example.test', link: `${link}x`, expiresInHours: 24 }));
    await mailer.close();

    const files = readdirSync(dir).sort();
    expect(files).toHaveLength(2);
    expect(files.every((f) => f.endsWith('.eml'))).toBe(true);
    const first = await simpleParser(readFileSync(join(dir, files[0] as string)));
    expect(first.subject).toBe('Confirm your email for Quant-Trader');
    expect(first.text).toContain(link);
    // The link's token opens the account (a reset link): logs travel further than the outbox.
    expect(logger.lines).toHaveLength(2);
    for (const line of logger.lines) {
      expect(JSON.stringify(line)).not.toContain('token=');
      expect(line.obj.file).toMatch(/\.eml$/);
    }
  });

  it('logs the link when asked to (the embedded, single-machine default)', async () => {
    const dir = tempDir();
    const logger = recordingLogger();
    const mailer = createMailer(
      { from: 'Quant-Trader <no-reply@localhost>', outboxDir: dir, outboxLogLinks: true },
      logger,
    );
    const link = 'http://localhost:3000/reset-password?token=tok2';
    await mailer.send(verifyEmailMail({ to: 'dana@example.test', link, expiresInHours: 24 }));
    await mailer.close();
    expect(logger.lines[0]?.obj.link).toBe(link);
    expect(logger.lines[0]?.msg).toContain(link);
  });

  it('keeps at most maxMessages files, deleting the oldest', async () => {
    const dir = tempDir();
    const mailer = new OutboxMailer({ dir, from: 'a@b.test', logger: recordingLogger(), maxMessages: 3 });
    await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        mailer.send(
          verifyEmailMail({ to: `p${i}@example.test`, link: `http://x.test/${i}`, expiresInHours: 1 }),
        ),
      ),
    );
    const files = readdirSync(dir).sort();
    expect(files).toHaveLength(3);
    const kept = await Promise.all(
      files.map(async (f) => (await simpleParser(readFileSync(join(dir, f)))).text),
    );
    expect(kept.map((t) => /http:\/\/x\.test\/(\d)/.exec(t ?? '')?.[1])).toEqual(['5', '6', '7']);
  });
});
