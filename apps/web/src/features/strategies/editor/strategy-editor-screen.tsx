'use client';

import type { CompileProblem, CompileResultView, InstrumentRef, StrategyView } from '@qt/shared';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { Button } from '@/components/ui/button';
import { useTRPC } from '@/engine/react';
import { defaultInterval, fitRange } from '../../backtests/backtest-range';
import { useDataExtent } from '../../backtests/use-data-extent';
import { MarketState } from '../../markets/market-state';
import { InstrumentPicker } from '../instrument-picker';
import { describeStrategyProblem } from '../strategy-errors';
import { kib } from '../strategy-list';
import { CodeEditor } from './code-editor';
import { problemPlace } from './editor-diagnostics';

/**
 * The browser strategy editor: a version's AssemblyScript in CodeMirror, compiled on the server with the
 * SDK (problems marked at their line), saved as the strategy's next version, and backtested with one
 * click on the stored data of the chosen instrument (the interval and range that data supports).
 */
export function StrategyEditorScreen({
  strategyId,
  version,
}: {
  strategyId: string;
  version: number | null;
}) {
  const trpc = useTRPC();
  const strategy = useQuery(trpc.strategies.get.queryOptions({ strategyId }));
  const source = useQuery(
    trpc.strategies.source.queryOptions(
      { strategyId, ...(version ? { version } : {}) },
      { staleTime: Number.POSITIVE_INFINITY },
    ),
  );
  if (strategy.isPending || source.isPending) return <MarketState title="Loading the strategy…" />;
  const failed = strategy.error ?? source.error;
  if (failed || !strategy.data || !source.data) {
    const problem = describeStrategyProblem(failed);
    return (
      <MarketState
        title="The strategy could not be opened"
        tone="error"
        testId="editor-problem"
        code={problem.code}
      >
        {problem.message}
      </MarketState>
    );
  }
  if (source.data.source === null)
    return (
      <MarketState title="No source to edit" testId="editor-no-source">
        Version {source.data.version} of {strategy.data.name} was uploaded as a compiled WebAssembly module,
        so there is no AssemblyScript to open. Open a version made from an example or saved here, or start a
        new strategy from an example.{' '}
        <Link href={`/strategies?strategy=${strategyId}`} className="text-emerald-400">
          Back to the strategy
        </Link>
      </MarketState>
    );
  return (
    <EditorBody
      key={`${strategyId}:${source.data.version}`}
      strategy={strategy.data}
      version={source.data.version}
      initial={source.data.source}
    />
  );
}

function EditorBody({
  strategy,
  version,
  initial,
}: {
  strategy: StrategyView;
  version: number;
  initial: string;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const router = useRouter();
  const [text, setText] = useState(initial);
  const [saved, setSaved] = useState({ text: initial, version });
  const [result, setResult] = useState<CompileResultView | null>(null);
  const [compiledText, setCompiledText] = useState<string | null>(null);
  const [instrument, setInstrument] = useState<InstrumentRef[]>([{ venue: 'binance', symbol: 'BTC-USDT' }]);
  const minuteExtent = useDataExtent(instrument[0], '1m');
  const interval = defaultInterval(minuteExtent.data ?? null);
  const extent = useDataExtent(instrument[0], interval);

  const compile = useMutation(trpc.strategies.compile.mutationOptions());
  const save = useMutation(trpc.strategies.saveSource.mutationOptions());
  const run = useMutation(trpc.backtests.run.mutationOptions());
  const busy = compile.isPending || save.isPending || run.isPending;
  const dirty = text !== saved.text;
  const latest = strategy.versions[0]?.version ?? version;
  const problems: readonly CompileProblem[] = result?.problems ?? [];
  const range = extent.data ? fitRange(extent.data, interval) : null;
  const error = compile.error ?? save.error ?? run.error;

  async function doCompile() {
    if (busy) return;
    const source = text;
    const r = await compile.mutateAsync({ source }).catch(() => null);
    if (r) {
      setResult(r);
      setCompiledText(source);
    }
  }

  /** Stores the text as the next version when it changed; the version to backtest either way. */
  async function doSave(): Promise<number | null> {
    if (!dirty) return saved.version;
    const source = text;
    const next = await save.mutateAsync({ strategyId: strategy.id, source }).catch(() => null);
    if (!next) {
      // A compile error: show its problems in the text.
      void doCompile();
      return null;
    }
    const v = next.versions[0]?.version ?? null;
    if (v !== null) setSaved({ text: source, version: v });
    setResult(null);
    await queryClient.invalidateQueries({ queryKey: trpc.strategies.pathKey() });
    return v;
  }

  async function doBacktest() {
    if (busy || !range || !instrument[0]) return;
    const v = await doSave();
    if (v === null) return;
    const bt = await run
      .mutateAsync({
        strategyId: strategy.id,
        version: v,
        instruments: [instrument[0]],
        interval,
        from: range.from,
        to: range.to,
        params: strategy.defaultParams,
      })
      .catch(() => null);
    if (bt) router.push(`/backtests?strategy=${strategy.id}&backtest=${bt.id}`);
  }

  const errors = problems.filter((p) => p.severity === 'error').length;
  const stale = compiledText !== null && compiledText !== text;
  let status: string;
  if (compile.isPending) status = 'Compiling on the server…';
  else if (save.isPending) status = 'Compiling and saving…';
  else if (run.isPending) status = 'Starting the backtest…';
  else if (!result) status = dirty ? `Edited since v${saved.version}` : `v${saved.version} as saved`;
  else if (result.ok)
    status = `Compiled in ${(result.compileMs / 1000).toFixed(1)} s · ${kib(result.sizeBytes)} · callbacks: ${
      result.callbacks.join(', ') || 'on candle only'
    }${stale ? ' · edited since' : ''}`;
  else
    status = `${errors || 1} error${errors === 1 ? '' : 's'}: ${result.message}${stale ? ' (edited since)' : ''}`;

  return (
    <div
      data-wide-page
      className="flex flex-col gap-3"
      data-testid="strategy-editor"
      data-version={saved.version}
    >
      <div className="flex flex-wrap items-end justify-between gap-3">
        <div className="min-w-0">
          <Link
            href={`/strategies?strategy=${strategy.id}`}
            className="text-xs text-zinc-400 hover:text-zinc-200"
          >
            ← {strategy.name}
          </Link>
          <h1 className="text-lg font-semibold tracking-tight text-zinc-50">
            Edit source <span className="font-mono text-sm text-zinc-400">from v{version}</span>
          </h1>
        </div>
        <div className="flex flex-wrap gap-2">
          <Button
            size="sm"
            variant="secondary"
            onClick={doCompile}
            disabled={busy}
            data-testid="editor-compile"
          >
            Compile <span className="hidden text-zinc-500 sm:inline">Ctrl+Enter</span>
          </Button>
          <Button
            size="sm"
            variant="secondary"
            onClick={() => void doSave()}
            disabled={busy || !dirty}
            data-testid="editor-save"
          >
            Save as v{latest + 1}
          </Button>
          <Button size="sm" onClick={doBacktest} disabled={busy || !range} data-testid="editor-backtest">
            {dirty ? 'Save and backtest' : 'Backtest'}
          </Button>
        </div>
      </div>
      <p
        role="status"
        data-testid="editor-status"
        data-ok={result ? String(result.ok) : ''}
        className={`text-xs ${result && !result.ok ? 'text-rose-300' : 'text-zinc-400'}`}
      >
        {status}
      </p>
      {error && !compile.isPending && (
        <p role="alert" className="text-xs text-rose-300" data-testid="editor-error">
          {describeStrategyProblem(error).message}
        </p>
      )}
      <div className="grid grid-cols-1 gap-3 xl:grid-cols-[minmax(0,1fr)_20rem]">
        <section className="h-[60vh] min-h-80 overflow-hidden rounded-xl border border-zinc-800">
          <CodeEditor
            initial={initial}
            onChange={setText}
            problems={problems}
            onCompile={doCompile}
            onSave={() => void doSave()}
          />
        </section>
        <aside className="flex min-w-0 flex-col gap-3">
          <section className="rounded-xl border border-zinc-800 bg-zinc-900/60 p-3">
            <h2 className="mb-2 text-xs font-semibold tracking-wider text-zinc-400 uppercase">Problems</h2>
            {problems.length === 0 ? (
              <p className="text-xs text-zinc-500">{result?.ok ? 'None.' : 'Compile to check the source.'}</p>
            ) : (
              <ul className="flex max-h-64 flex-col gap-2 overflow-auto" data-testid="editor-problems">
                {problems.map((p, i) => (
                  <li
                    // The list is replaced as a whole on each compile.
                    // biome-ignore lint/suspicious/noArrayIndexKey: problems have no identity of their own
                    key={i}
                    data-testid="editor-problem-row"
                    data-line={p.line ?? ''}
                    className={`text-xs ${p.severity === 'error' ? 'text-rose-300' : 'text-amber-300'}`}
                  >
                    <span className="font-mono text-zinc-400">{problemPlace(p)}</span> {p.message}
                  </li>
                ))}
              </ul>
            )}
          </section>
          <section className="rounded-xl border border-zinc-800 bg-zinc-900/60 p-3">
            <h2 className="mb-2 text-xs font-semibold tracking-wider text-zinc-400 uppercase">Backtest on</h2>
            <InstrumentPicker
              value={instrument}
              onChange={(next) => setInstrument(next.slice(0, 1))}
              max={1}
              testId="editor"
            />
            <p className="mt-2 text-xs text-zinc-400" data-testid="editor-backtest-range">
              {range
                ? `${interval} candles, ${new Date(range.from).toLocaleString()} – ${new Date(range.to).toLocaleString()}, default parameters`
                : extent.isPending
                  ? 'Looking for stored candles…'
                  : 'No stored candles for this instrument yet: run the engine on it (or backfill) first.'}
            </p>
          </section>
        </aside>
      </div>
    </div>
  );
}
