import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type ParsedMail, simpleParser } from 'mailparser';

/**
 * Waits until the outbox folder holds a message to `to` (matching `subject` when given) and returns the
 * newest such message, parsed. For tests and for people running the engine locally without SMTP.
 */
export async function waitForOutboxMail(
  dir: string,
  to: string,
  opts: { subject?: RegExp; timeoutMs?: number; exclude?: ReadonlySet<string> } = {},
): Promise<ParsedMail & { file: string }> {
  const want = to.toLowerCase();
  const deadline = performance.now() + (opts.timeoutMs ?? 20_000);
  for (;;) {
    const files = (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.eml')).sort();
    for (const f of files.reverse()) {
      if (opts.exclude?.has(f)) continue;
      const mail = await simpleParser(await readFile(join(dir, f)));
      const rcpt =
        mail.to && !Array.isArray(mail.to) ? mail.to.value.map((a) => a.address?.toLowerCase()) : [];
      if (rcpt.includes(want) && (!opts.subject || opts.subject.test(mail.subject ?? ''))) {
        return Object.assign(mail, { file: f });
      }
    }
    if (performance.now() > deadline) throw new Error(`no email to ${to} in ${dir} in time`);
    // The engine writes the file off the request path, moments after the call returned.
    await new Promise((r) => setTimeout(r, 50));
  }
}
