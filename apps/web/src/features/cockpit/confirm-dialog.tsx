'use client';

import type { ReactNode } from 'react';
import { Button } from '@/components/ui/button';
import { Dialog } from '@/components/ui/dialog';

export interface ConfirmDialogProps {
  open: boolean;
  title: string;
  description: ReactNode;
  confirmLabel: string;
  /** Danger for what stops trading or throws orders away. */
  tone?: 'danger' | 'primary';
  pending?: boolean;
  onConfirm: () => void;
  onClose: () => void;
  testId: string;
}

/** "Are you sure?" before an action that cannot be undone with one click (Cancel all, Halt). */
export function ConfirmDialog({
  open,
  title,
  description,
  confirmLabel,
  tone = 'danger',
  pending = false,
  onConfirm,
  onClose,
  testId,
}: ConfirmDialogProps) {
  return (
    <Dialog open={open} onClose={onClose} title={title} description={description}>
      <div className="flex justify-end gap-2" data-testid={testId}>
        <Button variant="ghost" size="sm" onClick={onClose} data-testid={`${testId}-dismiss`}>
          Back
        </Button>
        <Button variant={tone} size="sm" disabled={pending} onClick={onConfirm} data-testid={`${testId}-ok`}>
          {pending ? 'Working…' : confirmLabel}
        </Button>
      </div>
    </Dialog>
  );
}
