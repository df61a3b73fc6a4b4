'use client';

import { useState } from 'react';
import { Button } from '@/components/ui/button';
import { Dialog } from '@/components/ui/dialog';
import { FormError } from '@/components/ui/form-error';
import { describeEngineError } from '@/engine/engine-error';
import { formatDecimal } from '@/features/markets/decimal-text';

export interface ChartAlertDialogProps {
  /** The clicked level, or null when closed. */
  level: string | null;
  symbol: string;
  decimals: number;
  onCreate: (level: string, name: string) => Promise<unknown>;
  onClose: () => void;
}

/** "Alert when price crosses 65,000.00?": one click on the chart, one confirmation, an in-app alert. */
export function ChartAlertDialog({ level, symbol, decimals, onCreate, onClose }: ChartAlertDialogProps) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const shown = level ? formatDecimal(level, decimals) : '';

  async function create() {
    if (!level) return;
    setBusy(true);
    setError(null);
    try {
      await onCreate(level, `${symbol} crosses ${shown}`);
      onClose();
    } catch (err) {
      setError(describeEngineError(err).message);
    } finally {
      setBusy(false);
    }
  }

  return (
    <Dialog
      open={level !== null}
      onClose={() => {
        setError(null);
        onClose();
      }}
      title="New price alert"
      description="Fires once, in the app. Change its trigger, expiry and channels on the Alerts page."
    >
      <p className="text-sm text-zinc-200" data-testid="chart-alert-question">
        Alert when price crosses <span className="font-mono font-semibold text-amber-300">{shown}</span>?
      </p>
      <div className="mt-3">
        <FormError message={error} />
      </div>
      <div className="mt-4 flex justify-end gap-2">
        <Button variant="ghost" size="sm" onClick={onClose} data-testid="chart-alert-cancel">
          Cancel
        </Button>
        <Button size="sm" onClick={create} disabled={busy} data-testid="chart-alert-create">
          {busy ? 'Creating…' : 'Create alert'}
        </Button>
      </div>
    </Dialog>
  );
}
