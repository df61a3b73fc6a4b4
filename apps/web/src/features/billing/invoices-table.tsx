import type { InvoiceView } from '@qt/shared';
import { Badge, type BadgeTone } from '@/components/ui/badge';
import { formatDay } from './billing-view';
import { formatCents } from './money';

const statusTones: Record<string, BadgeTone> = {
  paid: 'green',
  open: 'amber',
  uncollectible: 'red',
  void: 'neutral',
  draft: 'neutral',
};

export function InvoicesTable({ invoices }: { invoices: readonly InvoiceView[] }) {
  if (invoices.length === 0)
    return (
      <p className="text-sm text-zinc-400" data-testid="invoices-empty">
        No invoices yet.
      </p>
    );
  return (
    <div className="relative -mx-5 overflow-x-auto">
      <table className="w-full min-w-[36rem] text-sm" data-testid="invoices-table">
        <thead className="text-left text-xs text-zinc-500">
          <tr>
            <th className="px-5 py-2 font-medium">Date</th>
            <th className="px-2 py-2 font-medium">Number</th>
            <th className="px-2 py-2 font-medium">Period</th>
            <th className="px-2 py-2 font-medium">Status</th>
            <th className="px-2 py-2 text-right font-medium">Amount</th>
            <th className="px-5 py-2">
              <span className="sr-only">Invoice page</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {invoices.map((inv) => (
            <tr
              key={inv.id}
              className="border-t border-zinc-800"
              data-testid="invoice-row"
              data-status={inv.status}
            >
              <td className="px-5 py-2 text-zinc-300">{formatDay(inv.created)}</td>
              <td className="px-2 py-2 font-mono text-xs text-zinc-400">{inv.number ?? '—'}</td>
              <td className="px-2 py-2 text-xs text-zinc-400">
                {inv.periodStart ? `${formatDay(inv.periodStart)} – ${formatDay(inv.periodEnd)}` : '—'}
              </td>
              <td className="px-2 py-2">
                <Badge tone={statusTones[inv.status] ?? 'neutral'} caps={false}>
                  {inv.status}
                </Badge>
              </td>
              <td className="px-2 py-2 text-right font-mono text-zinc-100">
                {formatCents(inv.status === 'paid' ? inv.amountPaidCents : inv.amountDueCents, inv.currency)}
              </td>
              <td className="px-5 py-2 text-right">
                {inv.hostedInvoiceUrl && (
                  <a
                    href={inv.hostedInvoiceUrl}
                    target="_blank"
                    rel="noreferrer noopener"
                    className="text-xs font-medium text-emerald-400 hover:text-emerald-300"
                  >
                    View<span className="sr-only"> invoice {inv.number ?? inv.id}</span>
                  </a>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
