import { TierBadge } from '@/components/tier-badge';
import { pricingRows, TIERS } from './usage-view';

/** The plans side by side, rendered from the one tier table (`TIER_CAPS`, `TIER_RATES` in @qt/shared). */
export function PricingTable() {
  const rows = pricingRows();
  return (
    <div className="overflow-x-auto rounded-xl border border-zinc-800">
      <table className="w-full text-sm" data-testid="pricing-table">
        <thead className="bg-zinc-900/80 text-left text-zinc-400">
          <tr>
            <th className="px-4 py-3 font-medium">Limit</th>
            {TIERS.map((t) => (
              <th key={t} className="px-4 py-3">
                <TierBadge tier={t} />
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.label} className="border-t border-zinc-800">
              <td className="px-4 py-2 text-zinc-400">{r.label}</td>
              {TIERS.map((t) => (
                <td key={t} className="px-4 py-2 font-mono text-zinc-100">
                  {r.values[t]}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
