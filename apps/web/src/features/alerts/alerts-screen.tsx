'use client';

import type { AlertView } from '@qt/shared';
import { useState } from 'react';
import { Button } from '@/components/ui/button';
import { Card } from '@/components/ui/card';
import { describeEngineError } from '@/engine/engine-error';
import { AlertForm } from './alert-form';
import { AlertHistory } from './alert-history';
import { AlertList } from './alert-list';
import { useAlertList } from './use-alerts';

/** The Alerts page: the list, a form to create or edit, and the history of firings with deliveries. */
export function AlertsScreen() {
  const list = useAlertList();
  const [editing, setEditing] = useState<AlertView | 'new' | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const selectedAlert = list.data?.find((a) => a.id === selected) ?? null;

  return (
    <div className="space-y-6">
      {editing !== null && (
        <Card title={editing === 'new' ? 'New alert' : `Edit “${editing.name}”`}>
          <AlertForm
            key={editing === 'new' ? 'new' : editing.id}
            editing={editing === 'new' ? null : editing}
            onDone={() => setEditing(null)}
          />
        </Card>
      )}
      <Card
        title="Your alerts"
        aside={
          editing === null && (
            <Button size="sm" onClick={() => setEditing('new')} data-testid="alert-new">
              New alert
            </Button>
          )
        }
      >
        {list.isError ? (
          <p className="text-sm text-rose-300">{describeEngineError(list.error).message}</p>
        ) : list.isPending ? (
          <p className="text-sm text-zinc-500">Loading…</p>
        ) : (
          <AlertList
            alerts={list.data}
            selected={selected}
            onSelect={(id) => setSelected((s) => (s === id ? null : id))}
            onEdit={setEditing}
          />
        )}
      </Card>
      <Card
        title={selectedAlert ? `Firings of “${selectedAlert.name}”` : 'Firings'}
        description="Each firing is in the app at once; email and webhook deliveries are retried until sent or dead."
      >
        <AlertHistory key={selected ?? 'all'} alertId={selected} />
      </Card>
    </div>
  );
}
