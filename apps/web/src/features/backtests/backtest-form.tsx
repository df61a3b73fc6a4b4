'use client';

import {
  type BacktestView,
  type InstrumentRef,
  isDecimalString,
  runBacktestInput,
  type StrategyExampleView,
  type StrategyInterval,
  type StrategyView,
} from '@qt/shared';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useEffect, useState } from 'react';
import { Button } from '@/components/ui/button';
import { Select } from '@/components/ui/select';
import { useTRPC } from '@/engine/react';
import { formatCandleTime } from '../markets/chart-theme';
import { InstrumentPicker } from '../strategies/instrument-picker';
import { ParamFields } from '../strategies/param-fields';
import { describeStrategyProblem } from '../strategies/strategy-errors';
import { isStrategyInterval, strategyIntervals } from '../strategies/strategy-intervals';
import { exampleOf, initialParamRows, parseParams } from '../strategies/strategy-params';
import { StrategyProblemBox } from '../strategies/strategy-problem-box';
import {
  type DataExtent,
  defaultInterval,
  defaultRange,
  fitRange,
  fromLocalInput,
  rangeProblem,
  toLocalInput,
} from './backtest-range';
import { RangeCoverage } from './range-coverage';
import { useDataExtent } from './use-data-extent';

export interface BacktestFormProps {
  strategies: readonly StrategyView[];
  examples: readonly StrategyExampleView[];
  strategyId: string;
  onStrategy: (strategyId: string) => void;
  onStarted: (backtest: BacktestView) => void;
}

type ReplayMode = 'candles' | 'trades';

const fieldClass =
  'block h-8 w-full rounded-md border border-zinc-700 bg-zinc-950 px-2 text-sm text-zinc-100 focus:border-emerald-500 focus:ring-1 focus:ring-emerald-500 focus:outline-none aria-invalid:border-rose-500 [color-scheme:dark]';
const labelClass = 'mb-1 block text-[10px] font-semibold tracking-wider text-zinc-500 uppercase';

/** What to replay: a strategy version, instruments, interval, range and parameters; Run queues the job. */
export function BacktestForm(props: BacktestFormProps) {
  const strategy = props.strategies.find((s) => s.id === props.strategyId) ?? props.strategies[0];
  if (!strategy) return null;
  // Keyed by strategy: its versions and parameters start over when another one is picked.
  return <StrategyBacktestForm key={strategy.id} {...props} strategy={strategy} />;
}

function StrategyBacktestForm({
  strategies,
  examples,
  strategy,
  onStrategy,
  onStarted,
}: BacktestFormProps & { strategy: StrategyView }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const latest = strategy.versions.at(-1);
  const example = exampleOf(latest?.source, examples);
  const [initial] = useState(() => defaultRange(Date.now()));
  const [version, setVersion] = useState(latest?.version ?? 1);
  const [instruments, setInstruments] = useState<InstrumentRef[]>([{ venue: 'binance', symbol: 'BTC-USDT' }]);
  const [interval, setChosenInterval] = useState<StrategyInterval>('1s');
  // Until the person picks an interval or edits the range, both follow the stored data: the interval from
  // how many 1m candles exist, the range from the chosen interval's candles.
  const [intervalTouched, setIntervalTouched] = useState(false);
  const [rangeTouched, setRangeTouched] = useState(false);
  const minuteExtent = useDataExtent(instruments[0], '1m');
  const extent = useDataExtent(instruments[0], interval);
  const [mode, setMode] = useState<ReplayMode>('candles');
  const [from, setFrom] = useState(toLocalInput(initial.from));
  const [to, setTo] = useState(toLocalInput(initial.to));
  const [quote, setQuote] = useState('USDT');
  const [balance, setBalance] = useState('10000');
  const [rows, setRows] = useState(() => initialParamRows(example?.params ?? [], strategy.defaultParams));
  const [errors, setErrors] = useState<{ params: Record<string, string>; fields: Record<string, string> }>({
    params: {},
    fields: {},
  });
  useEffect(() => {
    if (intervalTouched || minuteExtent.data === undefined) return;
    setChosenInterval(defaultInterval(minuteExtent.data));
  }, [intervalTouched, minuteExtent.data]);

  function fitToData(data: DataExtent) {
    const fit = fitRange(data, interval);
    if (!fit) return;
    setFrom(toLocalInput(fit.from));
    setTo(toLocalInput(fit.to));
  }

  useEffect(() => {
    if (rangeTouched || !extent.data) return;
    const fit = fitRange(extent.data, interval);
    if (!fit) return;
    setFrom(toLocalInput(fit.from));
    setTo(toLocalInput(fit.to));
  }, [rangeTouched, extent.data, interval]);

  const run = useMutation(
    trpc.backtests.run.mutationOptions({
      onSuccess: (backtest) => {
        queryClient.setQueryData(trpc.backtests.list.queryKey({}), (list) => [backtest, ...(list ?? [])]);
        onStarted(backtest);
      },
    }),
  );

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    run.reset();
    const fields: Record<string, string> = {};
    const fromMs = fromLocalInput(from);
    const toMs = fromLocalInput(to);
    if (fromMs === null) fields.from = 'Pick a start date and time.';
    if (toMs === null) fields.to = 'Pick an end date and time.';
    if (fromMs !== null && toMs !== null) {
      const problem = rangeProblem({ from: fromMs, to: toMs }, interval, Date.now());
      if (problem) fields.to = problem;
    }
    const quoteCurrency = quote.trim().toUpperCase();
    if (!/^[A-Z0-9]{1,20}$/.test(quoteCurrency)) fields.quote = 'An asset code like USDT.';
    const amount = balance.trim();
    if (!isDecimalString(amount) || amount.startsWith('-') || !/[1-9]/.test(amount))
      fields.balance = 'A positive amount, like 10000.';
    const parsed = parseParams(rows);
    setErrors({ params: parsed.ok ? {} : parsed.errors, fields });
    if (!parsed.ok || Object.keys(fields).length > 0) return;
    const checked = runBacktestInput.safeParse({
      strategyId: strategy.id,
      version,
      instruments,
      interval,
      mode,
      from: fromMs,
      to: toMs,
      params: parsed.params,
      quoteCurrency,
      initialBalances: { [quoteCurrency]: amount },
    });
    if (!checked.success) {
      setErrors({ params: {}, fields: { form: checked.error.issues[0]?.message ?? 'Check the form.' } });
      return;
    }
    run.mutate(checked.data);
  }

  return (
    <form onSubmit={submit} className="space-y-4" aria-label="Run a backtest" noValidate>
      <div className="flex flex-wrap items-end gap-2">
        <Select
          label="Strategy"
          className="w-52"
          data-testid="backtest-strategy"
          value={strategy.id}
          onChange={(e) => onStrategy(e.target.value)}
        >
          {strategies.map((s) => (
            <option key={s.id} value={s.id}>
              {s.name}
            </option>
          ))}
        </Select>
        <Select
          label="Version"
          className="w-20"
          data-testid="backtest-version"
          value={version}
          onChange={(e) => setVersion(Number(e.target.value))}
        >
          {strategy.versions.map((v) => (
            <option key={v.version} value={v.version}>
              v{v.version}
            </option>
          ))}
        </Select>
        <Select
          label="Interval"
          className="w-20"
          data-testid="backtest-interval"
          value={interval}
          onChange={(e) => {
            if (!isStrategyInterval(e.target.value)) return;
            setIntervalTouched(true);
            setChosenInterval(e.target.value);
          }}
        >
          {strategyIntervals.map((i) => (
            <option key={i} value={i}>
              {i}
            </option>
          ))}
        </Select>
        <Select
          label="Replay"
          className="w-28"
          data-testid="backtest-mode"
          value={mode}
          title="Candles: stored bars, each walked as an intra-bar path. Trades: the stored trades themselves, for exact fills."
          onChange={(e) => setMode(e.target.value === 'trades' ? 'trades' : 'candles')}
        >
          <option value="candles">Candles</option>
          <option value="trades">Trades</option>
        </Select>
      </div>
      <InstrumentPicker value={instruments} onChange={setInstruments} max={5} testId="backtest" />
      <div className="grid grid-cols-2 gap-2">
        <DateField
          label="From"
          value={from}
          onChange={(v) => {
            setRangeTouched(true);
            setFrom(v);
          }}
          error={errors.fields.from}
          testId="backtest-from"
        />
        <DateField
          label="To"
          value={to}
          onChange={(v) => {
            setRangeTouched(true);
            setTo(v);
          }}
          error={errors.fields.to}
          testId="backtest-to"
        />
      </div>
      <StoredData
        interval={interval}
        instrument={instruments[0]}
        extent={extent.data}
        loading={extent.isPending}
        onFit={(data) => fitToData(data)}
      />
      <RangeCoverage
        instrument={instruments[0]}
        interval={interval}
        from={fromLocalInput(from)}
        to={fromLocalInput(to)}
        extent={extent.data}
      />
      <div className="grid grid-cols-[6rem_10rem] gap-2">
        <div>
          <label htmlFor="bt-quote" className={labelClass}>
            Quote
          </label>
          <input
            id="bt-quote"
            className={fieldClass}
            value={quote}
            maxLength={20}
            aria-invalid={errors.fields.quote ? true : undefined}
            onChange={(e) => setQuote(e.target.value)}
          />
        </div>
        <div>
          <label htmlFor="bt-balance" className={labelClass}>
            Start balance
          </label>
          <input
            id="bt-balance"
            className={`${fieldClass} font-mono`}
            value={balance}
            inputMode="decimal"
            aria-invalid={errors.fields.balance ? true : undefined}
            onChange={(e) => setBalance(e.target.value)}
            data-testid="backtest-balance"
          />
        </div>
      </div>
      {(errors.fields.to || errors.fields.from || errors.fields.quote || errors.fields.balance) && (
        <p role="alert" className="text-xs text-rose-300" data-testid="backtest-invalid">
          {errors.fields.from ?? errors.fields.to ?? errors.fields.quote ?? errors.fields.balance}
        </p>
      )}
      <ParamFields rows={rows} onChange={setRows} errors={errors.params} />
      {errors.fields.form && <p className="text-xs text-rose-300">{errors.fields.form}</p>}
      {run.isError && (
        <StrategyProblemBox problem={describeStrategyProblem(run.error)} testId="backtest-error" />
      )}
      <div className="flex items-center justify-end gap-3">
        <span className="text-xs text-zinc-500">
          Replays stored data through the paper matcher, fees and risk.
        </span>
        <Button type="submit" size="sm" disabled={run.isPending} data-testid="backtest-run">
          {run.isPending ? 'Queueing…' : 'Run backtest'}
        </Button>
      </div>
    </form>
  );
}

/** The stored candles the range can use, with a button to fit the range to them. */
function StoredData({
  interval,
  instrument,
  extent,
  loading,
  onFit,
}: {
  interval: StrategyInterval;
  instrument: InstrumentRef | undefined;
  extent: DataExtent | null | undefined;
  loading: boolean;
  onFit: (extent: DataExtent) => void;
}) {
  if (!instrument || loading) return null;
  const name = `${instrument.venue}:${instrument.symbol}`;
  if (!extent) {
    return (
      <p className="text-xs text-amber-200" data-testid="backtest-stored" data-candles={0}>
        No stored {interval} candles of {name} yet: pick another interval or instrument, or wait for data.
      </p>
    );
  }
  const time = (ms: number) => formatCandleTime(ms, '1s', true);
  return (
    <p
      className="flex flex-wrap items-center gap-2 text-xs text-zinc-500"
      data-testid="backtest-stored"
      data-candles={extent.candles}
      data-first={extent.first}
    >
      <span>
        Stored {interval} candles of {name}: {extent.more ? 'the newest ' : ''}
        {extent.candles.toLocaleString('en-US')}, {time(extent.first)} → {time(extent.last)}
      </span>
      <button
        type="button"
        className="rounded border border-zinc-700 px-1.5 py-0.5 text-zinc-300 hover:border-emerald-500"
        onClick={() => onFit(extent)}
        data-testid="backtest-fit-range"
      >
        Fit range to data
      </button>
    </p>
  );
}

function DateField({
  label,
  value,
  onChange,
  error,
  testId,
}: {
  label: string;
  value: string;
  onChange: (v: string) => void;
  error: string | undefined;
  testId: string;
}) {
  return (
    <div>
      <label htmlFor={testId} className={labelClass}>
        {label}
      </label>
      <input
        id={testId}
        type="datetime-local"
        className={fieldClass}
        value={value}
        aria-invalid={error ? true : undefined}
        onChange={(e) => onChange(e.target.value)}
        data-testid={testId}
      />
    </div>
  );
}
