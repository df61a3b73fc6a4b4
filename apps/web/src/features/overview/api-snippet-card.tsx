import { Card } from '@/components/ui/card';
import { CopyButton } from '@/components/ui/copy-button';

/** How a script calls the same API the dashboard uses, with an API key from Settings. */
export function ApiSnippetCard({ engineUrl }: { engineUrl: string }) {
  const command = 'QT_API_KEY=qt_... npx tsx examples/api-key-client.ts';
  const curl = `curl -H "Authorization: Bearer qt_..." ${engineUrl}/trpc/accounts.me`;
  return (
    <Card
      title="Call the API from a script"
      description={
        <>
          Create a key under <span className="text-zinc-200">Settings → API keys</span>, then from the
          repository root:
        </>
      }
    >
      <Snippet code={command} />
      <p className="mt-2 text-xs text-zinc-500">
        It calls the engine at <code className="font-mono text-zinc-400">http://127.0.0.1:4000</code> unless{' '}
        <code className="font-mono text-zinc-400">ENGINE_URL</code> says otherwise; this deployment's API is{' '}
        <code className="font-mono text-zinc-400" data-testid="engine-api-url">
          {engineUrl}/trpc
        </code>
        .
      </p>
      <p className="mt-4 mb-2 text-sm text-zinc-400">
        <code className="font-mono text-zinc-300">examples/api-key-client.ts</code> uses{' '}
        <code className="font-mono text-zinc-300">@trpc/client</code> with the{' '}
        <code className="font-mono">AppRouter</code> type, so every call is typed. Any HTTP client works too:
      </p>
      <Snippet code={curl} />
      <p className="mt-4 text-xs text-zinc-500">
        Errors carry a stable code in <code className="font-mono">error.data.appCode</code> (for example{' '}
        <code className="font-mono">AUTH_API_KEY_REVOKED</code>) and a message that says what to do.
      </p>
    </Card>
  );
}

function Snippet({ code }: { code: string }) {
  return (
    <div className="flex items-center gap-3 rounded-lg border border-zinc-800 bg-zinc-950 py-2 pr-2 pl-3">
      <pre className="min-w-0 flex-1 overflow-x-auto font-mono text-xs leading-relaxed text-emerald-200">
        <code>
          <span className="text-zinc-600 select-none">$ </span>
          {code}
        </code>
      </pre>
      <CopyButton text={code} />
    </div>
  );
}
