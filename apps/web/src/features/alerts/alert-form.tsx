'use client';

import type { AlertView } from '@qt/shared';
import { useMutation } from '@tanstack/react-query';
import { type ReactNode, useState } from 'react';
import { Button } from '@/components/ui/button';
import { CopyButton } from '@/components/ui/copy-button';
import { FormError } from '@/components/ui/form-error';
import { TextField } from '@/components/ui/text-field';
import { describeEngineError } from '@/engine/engine-error';
import { useTRPC } from '@/engine/react';
import {
  type AlertFormState,
  bands,
  conditionKindLabels,
  conditionKinds,
  crossOps,
  dataQualityEvents,
  emptyForm,
  type FieldErrors,
  formOf,
  intervals,
  newWebhookSecret,
  opLabels,
  priceOps,
  rangeOps,
  rsiOps,
  toCreateInput,
  toUpdateInput,
  triggerLabels,
  triggerModes,
} from './alert-form-model';
import { useInvalidateAlerts } from './use-alerts';

/** The form's keys that hold one string of a fixed set (a `Choice`). */
type ChoiceKey = {
  [K in keyof AlertFormState]: AlertFormState[K] extends string ? K : never;
}[keyof AlertFormState];

const barKinds = new Set(['volumeSpike', 'rsi', 'macdCross', 'bbandsCross', 'emaCross']);

function Choice<T extends string>(props: {
  label: string;
  value: T;
  options: readonly T[];
  labels?: Record<string, string>;
  onChange: (v: T) => void;
  testId?: string;
}) {
  return (
    <label className="block text-sm font-medium text-zinc-200">
      <span className="mb-1.5 block">{props.label}</span>
      <select
        data-testid={props.testId}
        value={props.value}
        onChange={(e) => props.onChange(e.target.value as T)}
        className="block h-10 w-full rounded-md border border-zinc-700 bg-zinc-950 px-2 text-sm text-zinc-100 focus:border-emerald-500 focus:outline-none"
      >
        {props.options.map((o) => (
          <option key={o} value={o}>
            {props.labels?.[o] ?? o}
          </option>
        ))}
      </select>
    </label>
  );
}

/** Create a new alert, or edit `editing`. The webhook secret is generated here and shown once. */
export function AlertForm({ editing, onDone }: { editing: AlertView | null; onDone: () => void }) {
  const trpc = useTRPC();
  const invalidate = useInvalidateAlerts();
  const [form, setForm] = useState<AlertFormState>(() => (editing ? formOf(editing) : emptyForm()));
  const [errors, setErrors] = useState<FieldErrors>({});
  const [problem, setProblem] = useState<string | null>(null);
  const [channelsChanged, setChannelsChanged] = useState(editing === null);
  const [secret, setSecret] = useState<{ value: string; shown: boolean } | null>(null);
  const create = useMutation(trpc.alerts.create.mutationOptions());
  const update = useMutation(trpc.alerts.update.mutationOptions());

  const set = <K extends keyof AlertFormState>(key: K, value: AlertFormState[K]) => {
    setForm((f) => ({ ...f, [key]: value }));
    if (key === 'emailTo' || key === 'webhookUrl') setChannelsChanged(true);
  };
  const field = (key: keyof AlertFormState, label: string, extra: { hint?: string; type?: string } = {}) => (
    <TextField
      label={label}
      value={String(form[key])}
      onChange={(e) => set(key, e.target.value as never)}
      error={errors[key]}
      data-testid={`alert-${key}`}
      {...extra}
    />
  );
  const choice = <K extends ChoiceKey>(
    key: K,
    label: string,
    options: readonly AlertFormState[K][],
    extra: { labels?: Record<string, string>; testId?: string } = {},
  ) => <Choice label={label} value={form[key]} options={options} onChange={(v) => set(key, v)} {...extra} />;

  async function submit() {
    setProblem(null);
    // A secret is made for a webhook whenever the channels are sent: the engine never returns the old one.
    const webhookSecret =
      form.webhookUrl.trim() && channelsChanged ? (secret?.value ?? newWebhookSecret()) : null;
    const result = editing
      ? toUpdateInput(editing.id, form, webhookSecret, channelsChanged, Date.now())
      : toCreateInput(form, webhookSecret, Date.now());
    if (!result.ok) {
      setErrors(result.errors);
      return;
    }
    setErrors({});
    try {
      if ('alertId' in result.input) await update.mutateAsync(result.input);
      else await create.mutateAsync(result.input);
      await invalidate();
      if (webhookSecret) setSecret({ value: webhookSecret, shown: true });
      else onDone();
    } catch (err) {
      const p = describeEngineError(err);
      setProblem(p.message);
    }
  }

  if (secret?.shown) {
    return (
      <section
        className="rounded-lg border border-amber-400/40 bg-amber-400/10 p-4"
        data-testid="alert-secret-box"
      >
        <h3 className="text-sm font-semibold text-amber-200">Webhook signing secret</h3>
        <div className="mt-3 flex items-center gap-3 rounded-md border border-zinc-700 bg-zinc-950 px-3 py-2">
          <code
            data-testid="alert-secret"
            className="min-w-0 flex-1 font-mono text-sm break-all text-zinc-50"
          >
            {secret.value}
          </code>
          <CopyButton text={secret.value} />
        </div>
        <p className="mt-3 text-sm text-amber-100/90">
          Each webhook request is signed with it (HMAC-SHA256 over the timestamp and body, in a header). Copy
          it now: <strong>it is not shown again</strong>. Editing the channels makes a new one.
        </p>
        <div className="mt-3 flex justify-end">
          <Button variant="ghost" size="sm" onClick={onDone}>
            I have saved it
          </Button>
        </div>
      </section>
    );
  }

  const bar = barKinds.has(form.kind);
  let conditionFields: ReactNode = null;
  switch (form.kind) {
    case 'price':
      conditionFields = (
        <>
          {choice('priceOp', 'When price', priceOps, { labels: opLabels })}
          {field('price', 'Level', { hint: 'exact decimal, e.g. 65000.50' })}
        </>
      );
      break;
    case 'range':
      conditionFields = (
        <>
          {choice('rangeOp', 'When price', rangeOps, { labels: opLabels })}
          {field('low', 'Low')}
          {field('high', 'High')}
        </>
      );
      break;
    case 'percentMove':
      conditionFields = (
        <>
          {choice('moveDirection', 'Direction', ['up', 'down'] as const)}
          {field('movePercent', 'By at least (%)')}
          {field('moveWindowSeconds', 'Within (seconds)')}
        </>
      );
      break;
    case 'volumeSpike':
      conditionFields = (
        <>
          {field('volumeFactor', 'Volume above × mean')}
          {field('volumeBars', 'Mean of bars')}
        </>
      );
      break;
    case 'rsi':
      conditionFields = (
        <>
          {field('rsiPeriod', 'Period')}
          {choice('rsiOp', 'RSI', rsiOps, { labels: opLabels })}
          {field('rsiValue', 'Level (0–100)')}
        </>
      );
      break;
    case 'macdCross':
    case 'emaCross':
      conditionFields = (
        <>
          {field('fast', 'Fast period')}
          {field('slow', 'Slow period')}
          {form.kind === 'macdCross' && field('signal', 'Signal period')}
          {choice('crossOp', 'Fast line', crossOps, { labels: opLabels })}
        </>
      );
      break;
    case 'bbandsCross':
      conditionFields = (
        <>
          {field('bbPeriod', 'Period')}
          {field('bbStdDev', 'Standard deviations')}
          {choice('band', 'Band', bands)}
          {choice('crossOp', 'Close', crossOps, { labels: opLabels })}
        </>
      );
      break;
    case 'dataQuality':
      conditionFields = (
        <fieldset className="sm:col-span-2">
          <legend className="mb-1.5 text-sm font-medium text-zinc-200">Events</legend>
          <div className="flex flex-wrap gap-4">
            {dataQualityEvents.map((ev) => (
              <label key={ev} className="flex items-center gap-2 text-sm text-zinc-300">
                <input
                  type="checkbox"
                  checked={form.events.includes(ev)}
                  onChange={(e) =>
                    set(
                      'events',
                      e.target.checked ? [...form.events, ev] : form.events.filter((x) => x !== ev),
                    )
                  }
                />
                {ev}
              </label>
            ))}
          </div>
          {errors.events && <p className="mt-1 text-xs text-rose-300">{errors.events}</p>}
          <div className="mt-3 grid gap-3 sm:grid-cols-2">
            {field('deploymentId', 'Deployment (optional)')}
            <label className="flex items-center gap-2 self-end pb-2 text-sm text-zinc-300">
              <input
                type="checkbox"
                checked={form.pauseDeployment}
                onChange={(e) => set('pauseDeployment', e.target.checked)}
              />
              Pause the deployment while its feed is stale
            </label>
          </div>
        </fieldset>
      );
      break;
  }

  return (
    <form
      data-testid="alert-form"
      className="space-y-5"
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <div className="grid gap-3 sm:grid-cols-3">
        {field('name', 'Name')}
        {field('venue', form.kind === 'dataQuality' ? 'Venue (optional)' : 'Venue')}
        {field('symbol', form.kind === 'dataQuality' ? 'Symbol (optional)' : 'Symbol')}
      </div>
      <div className="grid gap-3 sm:grid-cols-3">
        {choice('kind', 'Condition', conditionKinds, { labels: conditionKindLabels, testId: 'alert-kind' })}
        {bar && choice('interval', 'Bar interval', intervals)}
        {conditionFields}
      </div>
      <div className="grid gap-3 sm:grid-cols-3">
        {choice('triggerMode', 'Trigger', triggerModes, { labels: triggerLabels, testId: 'alert-trigger' })}
        {(form.triggerMode === 'oncePerBar' || form.triggerMode === 'oncePerBarClose') &&
          choice('triggerInterval', 'Bar', intervals)}
        {form.triggerMode === 'every' && field('cooldownSeconds', 'Cooldown (seconds)')}
        {field('expiresAt', 'Expires (optional)', { type: 'datetime-local' })}
      </div>
      {field('message', 'Message (optional)', {
        hint: 'Placeholders: {{alert}} {{symbol}} {{venue}} {{price}} {{time}} {{interval}} {{indicator}} {{volume}} {{event}}',
      })}
      <fieldset>
        <legend className="mb-1.5 text-sm font-medium text-zinc-200">Channels</legend>
        <p className="mb-3 text-xs text-zinc-500">
          Every firing shows in the app (the bell). Also send it to:
          {editing && !channelsChanged && ' (unchanged unless you edit these)'}
        </p>
        <div className="grid gap-3 sm:grid-cols-2">
          {field('emailTo', 'Email', { hint: 'a verified member of this workspace', type: 'email' })}
          {field('webhookUrl', 'Webhook URL', { hint: 'a signing secret is generated and shown once' })}
        </div>
      </fieldset>
      <FormError message={problem} />
      <div className="flex justify-end gap-2">
        <Button variant="ghost" onClick={onDone}>
          Cancel
        </Button>
        <Button type="submit" disabled={create.isPending || update.isPending} data-testid="alert-submit">
          {editing ? 'Save alert' : 'Create alert'}
        </Button>
      </div>
    </form>
  );
}
