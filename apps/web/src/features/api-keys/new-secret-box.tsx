'use client';

import { useId } from 'react';
import { Button } from '@/components/ui/button';
import { CopyButton } from '@/components/ui/copy-button';

/** The whole key, shown once: the engine keeps only its hash. */
export function NewSecretBox({ name, secret, onDone }: { name: string; secret: string; onDone: () => void }) {
  const titleId = useId();
  return (
    <section
      aria-labelledby={titleId}
      className="rounded-lg border border-amber-400/40 bg-amber-400/10 p-4"
      data-testid="apikey-secret-box"
    >
      {/* Announced to screen readers without reading the secret itself aloud. */}
      <p role="status" className="sr-only">
        API key created. Copy it now: it is shown only once.
      </p>
      <h3 id={titleId} className="text-sm font-semibold text-amber-200">
        Your new key “{name}”
      </h3>
      <div className="mt-3 flex items-center gap-3 rounded-md border border-zinc-700 bg-zinc-950 px-3 py-2">
        <code data-testid="apikey-secret" className="min-w-0 flex-1 font-mono text-sm break-all text-zinc-50">
          {secret}
        </code>
        <CopyButton text={secret} testId="apikey-copy" />
      </div>
      <p className="mt-3 text-sm text-amber-100/90">
        Copy it now and keep it somewhere safe, like a password. <strong>You will not see it again</strong>:
        if you lose it, revoke it and create another.
      </p>
      <div className="mt-3 flex justify-end">
        <Button variant="ghost" size="sm" onClick={onDone} data-testid="apikey-secret-dismiss">
          I have saved it
        </Button>
      </div>
    </section>
  );
}
