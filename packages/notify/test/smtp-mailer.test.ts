import { afterEach, describe, expect, it } from 'vitest';
import { createMailer } from '../src/create-mailer.ts';
import { SmtpMailer } from '../src/smtp-mailer.ts';
import { resetPasswordMail, signUpAttemptMail, verifyEmailMail } from '../src/templates.ts';
import { linkIn, startTestSmtpServer, type TestSmtpServer } from '../src/testing/index.ts';

const quiet = { info() {}, warn() {} };
let server: TestSmtpServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('SmtpMailer, against a real SMTP server', () => {
  it('delivers a verification email with the right To, From, subject and a working link', async () => {
    server = await startTestSmtpServer({ auth: { user: 'mailer', pass: 's3cret pass' } });
    const mailer = new SmtpMailer({
      host: '127.0.0.1',
      port: server.port,
      user: 'mailer',
      pass: 's3cret pass',
      secure: false,
      from: 'Quant-Trader <no-reply@qt.test>',
    });
    const link = 'http://localhost:3000/verify-email?token=abc_DEF-123';
    const sent = await mailer.send(verifyEmailMail({ to: 'ada@example.test', link, expiresInHours: 24 }));
    await mailer.close();

    const mail = await server.waitFor('ada@example.test');
    expect(mail.user).toBe('mailer');
    expect(mail.mailFrom).toBe('no-reply@qt.test');
    expect(mail.parsed.messageId).toBe(sent.messageId);
    expect(mail.parsed.subject).toBe('Confirm your email for Quant-Trader');
    expect(mail.parsed.to && !Array.isArray(mail.parsed.to) ? mail.parsed.to.text : '').toBe(
      'ada@example.test',
    );
    expect(linkIn(mail.parsed)).toBe(link);
    expect(mail.parsed.html).toContain(`href="${link}"`);
  });

  it('is chosen by SMTP_URL, and refuses wrong credentials with an error instead of pretending to send', async () => {
    server = await startTestSmtpServer({ auth: { user: 'u', pass: 'p' } });
    const good = createMailer(
      { smtpUrl: server.url, from: 'no-reply@qt.test', outboxDir: '/nonexistent' },
      quiet,
    );
    expect(good.kind).toBe('smtp');
    await good.send(
      resetPasswordMail({ to: 'bob@example.test', link: 'http://x.test/r?token=t', expiresInMinutes: 60 }),
    );
    expect((await server.waitFor('bob@example.test')).parsed.subject).toBe(
      'Reset your Quant-Trader password',
    );

    const bad = createMailer(
      {
        smtpUrl: `smtp://u:wrong@127.0.0.1:${server.port}`,
        from: 'no-reply@qt.test',
        outboxDir: '/nonexistent',
      },
      quiet,
    );
    await expect(
      bad.send(
        signUpAttemptMail({
          to: 'carol@example.test',
          signInUrl: 'http://x.test/signin',
          resetUrl: 'http://x.test/reset-password',
        }),
      ),
    ).rejects.toThrow();
    await good.close();
    await bad.close();
  });

  it('rejects when the server refuses the recipient', async () => {
    server = await startTestSmtpServer({ rejectRecipients: /@nowhere\.test$/ });
    const mailer = new SmtpMailer({ url: server.url, from: 'no-reply@qt.test' });
    await expect(
      mailer.send(
        verifyEmailMail({ to: 'x@nowhere.test', link: 'http://x.test/v?token=t', expiresInHours: 24 }),
      ),
    ).rejects.toThrow();
    await mailer.close();
    expect(server.received).toHaveLength(0);
  });

  it('fails within its timeout when nothing answers, rather than holding the caller', async () => {
    const mailer = new SmtpMailer({ host: '127.0.0.1', port: 9, from: 'no-reply@qt.test', timeoutMs: 2_000 });
    const started = performance.now();
    await expect(
      mailer.send(
        verifyEmailMail({ to: 'x@example.test', link: 'http://x.test/v?token=t', expiresInHours: 24 }),
      ),
    ).rejects.toThrow();
    expect(performance.now() - started).toBeLessThan(15_000);
    await mailer.close();
  });

  it('refuses an SMTP_URL that is not smtp:// or smtps:// at construction', () => {
    expect(() => new SmtpMailer({ url: 'http://mail.example.test', from: 'a@b.test' })).toThrow(/smtp:\/\//);
  });
});
