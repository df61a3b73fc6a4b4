'use client';

import type { PaperAccountView } from '@qt/shared';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Badge } from '@/components/ui/badge';
import { Button } from '@/components/ui/button';
import { Dialog } from '@/components/ui/dialog';
import { FormError } from '@/components/ui/form-error';
import { TextField } from '@/components/ui/text-field';
import { describeEngineError } from '@/engine/engine-error';
import { useTRPC } from '@/engine/react';
import { ConfirmDialog } from '../cockpit/confirm-dialog';
import { formatDecimal } from '../markets/decimal-text';
import { TradePanel } from './trade-panel';
import { markedQuery } from './use-account-feed';

type Limits = {
  maxOrderNotional: string | null;
  maxPositionNotional: string | null;
  maxOpenOrders: number;
  priceBandBps: number;
  maxDailyLossBps: number | null;
  maxOrdersPerSecond: number;
  maxOrdersPerMinute: number;
};

const pct = (bps: number) => `${(bps / 100).toFixed(bps % 100 === 0 ? 0 : 2)}%`;

/** Risk status, usage against each limit, the limits themselves, the account's kill switch. */
export function RiskPanel({ account }: { account: PaperAccountView }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [editing, setEditing] = useState(false);
  const risk = useQuery(trpc.risk.get.queryOptions({ accountId: account.id }, markedQuery));
  const refresh = () =>
    Promise.all([
      queryClient.invalidateQueries(trpc.risk.get.queryFilter({ accountId: account.id })),
      queryClient.invalidateQueries(trpc.paperAccounts.list.queryFilter()),
    ]);
  const kill = useMutation(trpc.risk.setKillSwitch.mutationOptions({ onSuccess: refresh }));
  const r = risk.data;
  const killProblem = kill.error ? describeEngineError(kill.error) : null;
  const [confirmHalt, setConfirmHalt] = useState(false);
  const setKill = (halted: boolean) =>
    kill.mutate(
      {
        scope: 'account',
        accountId: account.id,
        halted,
        reason: halted ? 'halted from the dashboard' : 'resumed from the dashboard',
      },
      { onSettled: () => setConfirmHalt(false) },
    );

  if (!r)
    return (
      <TradePanel title="Risk" testId="risk">
        <p className="px-3 py-4 text-center text-xs text-zinc-500">
          {risk.isError ? describeEngineError(risk.error).message : 'Loading risk limits…'}
        </p>
      </TradePanel>
    );

  const l = r.limits;
  const haltedHere = r.halt?.scope === 'account';
  return (
    <TradePanel
      title="Risk"
      testId="risk"
      aside={
        <Badge
          tone={r.status === 'active' ? 'green' : r.status === 'halted' ? 'red' : 'amber'}
          data-testid="risk-status"
          data-status={r.status}
        >
          {r.status.replace('_', '-')}
        </Badge>
      }
    >
      <div className="space-y-2 px-3 py-2.5 text-[11px]">
        {r.halt && (
          <p className="rounded border border-rose-500/30 bg-rose-500/10 px-2 py-1.5 text-rose-200">
            Halted ({r.halt.scope === 'tenant' ? 'whole workspace' : 'this account'}):{' '}
            {r.halt.reason || 'no reason given'}
          </p>
        )}
        {r.reduceOnly && (
          <p className="rounded border border-amber-500/30 bg-amber-500/10 px-2 py-1.5 text-amber-200">
            Reduce-only until {new Date(r.reduceOnly.until).toUTCString().slice(17, 22)} UTC: the day's loss
            reached {pct(r.reduceOnly.lossBps)}.
          </p>
        )}
        <Usage label="Open orders" used={r.usage.openOrders} limit={l.maxOpenOrders} />
        <Usage label="Orders / min" used={r.usage.ordersLastMinute} limit={l.maxOrdersPerMinute} />
        <Usage
          label="Daily loss"
          used={Math.max(0, r.usage.dailyLossBps)}
          limit={l.maxDailyLossBps}
          format={pct}
        />
        <dl className="grid grid-cols-[1fr_auto] gap-x-3 gap-y-0.5 border-t border-zinc-800 pt-2">
          <dt className="text-zinc-500">Max order notional</dt>
          <dd className="text-right font-mono text-zinc-300">{amount(l.maxOrderNotional)}</dd>
          <dt className="text-zinc-500">Max position notional</dt>
          <dd className="text-right font-mono text-zinc-300">{amount(l.maxPositionNotional)}</dd>
          <dt className="text-zinc-500">Price band</dt>
          <dd className="text-right font-mono text-zinc-300">±{pct(l.priceBandBps)} of last</dd>
          <dt className="text-zinc-500">Order rate</dt>
          <dd className="text-right font-mono text-zinc-300">
            {l.maxOrdersPerSecond}/s · {l.maxOrdersPerMinute}/min
          </dd>
        </dl>
        {killProblem && <FormError message={killProblem.message} />}
        <div className="flex gap-2 pt-1">
          <Button
            variant="secondary"
            size="sm"
            className="h-7 flex-1"
            onClick={() => setEditing(true)}
            data-testid="risk-edit"
          >
            Edit limits
          </Button>
          <Button
            variant={haltedHere ? 'secondary' : 'danger'}
            size="sm"
            className="h-7 flex-1"
            disabled={kill.isPending || r.halt?.scope === 'tenant'}
            data-testid="risk-kill-switch"
            onClick={() =>
              // Halting stops every order of the account at once: asked first. Resuming is not.
              haltedHere ? setKill(false) : setConfirmHalt(true)
            }
          >
            {haltedHere ? 'Resume trading' : 'Halt account'}
          </Button>
        </div>
      </div>
      <ConfirmDialog
        open={confirmHalt}
        title="Halt this account?"
        description={`No new orders are accepted on “${account.name}” until you resume trading here. Orders already open stay open (cancel them in Open orders).`}
        confirmLabel="Halt account"
        pending={kill.isPending}
        onConfirm={() => setKill(true)}
        onClose={() => setConfirmHalt(false)}
        testId="risk-halt-confirm"
      />
      <Dialog
        open={editing}
        onClose={() => setEditing(false)}
        title="Risk limits"
        description="Empty means no limit where allowed. Order rate and open orders can be lowered, not raised above your plan's."
      >
        <LimitsForm accountId={account.id} limits={l} onDone={() => setEditing(false)} />
      </Dialog>
    </TradePanel>
  );
}

function amount(v: string | null): string {
  return v === null ? 'none' : formatDecimal(v, 0);
}

function Usage({
  label,
  used,
  limit,
  format = String,
}: {
  label: string;
  used: number;
  limit: number | null;
  format?: (n: number) => string;
}) {
  const share = limit ? Math.min(1, used / limit) : 0;
  const tone = share >= 0.9 ? 'bg-rose-400' : share >= 0.6 ? 'bg-amber-400' : 'bg-emerald-400';
  return (
    <div>
      <div className="flex justify-between">
        <span className="text-zinc-500">{label}</span>
        <span className="font-mono text-zinc-300">
          {format(used)} / {limit === null ? 'no limit' : format(limit)}
        </span>
      </div>
      <div className="mt-0.5 h-1 rounded bg-zinc-800">
        <div className={`h-1 rounded ${tone}`} style={{ width: `${share * 100}%` }} />
      </div>
    </div>
  );
}

const fields = [
  ['maxOrderNotional', 'Max order notional', 'amount'],
  ['maxPositionNotional', 'Max position notional', 'amount'],
  ['priceBandBps', 'Price band (bps)', 'int'],
  ['maxDailyLossBps', 'Max daily loss (bps)', 'nullableInt'],
  ['maxOpenOrders', 'Max open orders', 'int'],
  ['maxOrdersPerSecond', 'Orders per second', 'int'],
  ['maxOrdersPerMinute', 'Orders per minute', 'int'],
] as const;

function LimitsForm({
  accountId,
  limits,
  onDone,
}: {
  accountId: string;
  limits: Limits;
  onDone: () => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const update = useMutation(
    trpc.risk.updateLimits.mutationOptions({
      onSuccess: (view) => {
        queryClient.setQueryData(trpc.risk.get.queryKey({ accountId }), view);
        onDone();
      },
    }),
  );
  const labels = Object.fromEntries(fields.map(([k, label]) => [`limits.${k}`, label]));
  const problem = update.error ? describeEngineError(update.error, labels) : null;

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const text = (k: string) => String(form.get(k) ?? '').trim();
    const int = (k: string) => Number.parseInt(text(k), 10);
    update.mutate({
      accountId,
      limits: {
        maxOrderNotional: text('maxOrderNotional') || null,
        maxPositionNotional: text('maxPositionNotional') || null,
        priceBandBps: int('priceBandBps'),
        maxDailyLossBps: text('maxDailyLossBps') ? int('maxDailyLossBps') : null,
        maxOpenOrders: int('maxOpenOrders'),
        maxOrdersPerSecond: int('maxOrdersPerSecond'),
        maxOrdersPerMinute: int('maxOrdersPerMinute'),
      },
    });
  }

  return (
    <form onSubmit={submit} noValidate className="space-y-3" aria-label="Risk limits">
      <div className="grid grid-cols-2 gap-3">
        {fields.map(([key, label, kind]) => (
          <TextField
            key={key}
            label={label}
            name={key}
            inputMode={kind === 'amount' ? 'decimal' : 'numeric'}
            defaultValue={limits[key] === null ? '' : String(limits[key])}
            placeholder={kind === 'int' ? undefined : 'no limit'}
            error={problem?.fieldErrors[`limits.${key}`]}
            data-testid={`risk-limit-${key}`}
          />
        ))}
      </div>
      {problem && <FormError message={problem.message} />}
      <div className="flex justify-end gap-2">
        <Button variant="ghost" size="sm" onClick={onDone}>
          Cancel
        </Button>
        <Button type="submit" size="sm" disabled={update.isPending} data-testid="risk-save">
          {update.isPending ? 'Saving…' : 'Save limits'}
        </Button>
      </div>
    </form>
  );
}
