'use client';

import { useState } from 'react';
import { Button } from './button';

export function CopyButton({
  text,
  label = 'Copy',
  testId,
}: {
  text: string;
  label?: string;
  testId?: string;
}) {
  const [copied, setCopied] = useState(false);
  async function copy() {
    try {
      await navigator.clipboard.writeText(text);
      setCopied(true);
      setTimeout(() => setCopied(false), 2000);
    } catch {
      // Clipboard refused (insecure context, permissions): the text is on screen to select by hand.
    }
  }
  return (
    <Button variant="secondary" size="sm" onClick={copy} data-testid={testId} aria-live="polite">
      {copied ? 'Copied' : label}
    </Button>
  );
}
