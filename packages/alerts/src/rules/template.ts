import { AppError } from '@qt/shared';

/** The placeholders a message may use; anything else in `{{ }}` is refused when the alert is saved. */
export const templatePlaceholders = [
  'alert',
  'venue',
  'symbol',
  'price',
  'time',
  'interval',
  'indicator',
  'volume',
  'event',
] as const;
export type TemplatePlaceholder = (typeof templatePlaceholders)[number];
export type TemplateValues = Partial<Record<TemplatePlaceholder, string>>;

export const MAX_TEMPLATE_LENGTH = 500;
/** A rendered message never exceeds this (values are bounded too, but say so in one place). */
export const MAX_MESSAGE_LENGTH = 1_000;
const MAX_VALUE_LENGTH = 200;

const PLACEHOLDER = /\{\{\s*([A-Za-z]+)\s*\}\}/g;
const known = new Set<string>(templatePlaceholders);

/** The unknown placeholder names in a template (empty when it is valid). */
export function unknownPlaceholders(template: string): string[] {
  const bad: string[] = [];
  for (const m of template.matchAll(PLACEHOLDER)) {
    const name = m[1] ?? '';
    if (!known.has(name)) bad.push(name);
  }
  return bad;
}

export function checkTemplate(template: string): void {
  const bad = unknownPlaceholders(template);
  if (bad.length > 0) {
    throw new AppError(
      'VALIDATION_FAILED',
      `Unknown placeholder {{${bad[0]}}} in the message. Use: ${templatePlaceholders.map((p) => `{{${p}}}`).join(', ')}.`,
      { placeholders: bad },
    );
  }
}

/**
 * Renders in one pass: each placeholder is replaced by its value as plain text. A value is never parsed
 * again, so a symbol or an indicator value containing "{{...}}" stays literal; control characters are
 * dropped from values (a value cannot add lines to a chat message or a header); a placeholder with no
 * value renders as "-". Escaping for a channel's markup is the channel formatter's job.
 */
export function renderTemplate(template: string, values: TemplateValues): string {
  const out = template.replace(PLACEHOLDER, (_all, name: string) => {
    const v = values[name as TemplatePlaceholder];
    if (v === undefined || v === '') return '-';
    // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point
    return v.replace(/[\u0000-\u001f\u007f]/g, ' ').slice(0, MAX_VALUE_LENGTH);
  });
  return out.length > MAX_MESSAGE_LENGTH ? `${out.slice(0, MAX_MESSAGE_LENGTH - 1)}…` : out;
}
