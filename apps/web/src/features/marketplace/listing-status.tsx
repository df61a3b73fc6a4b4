import type { ListingStatus } from '@qt/shared';
import { Badge, type BadgeTone } from '@/components/ui/badge';

const labels: Record<ListingStatus, { text: string; tone: BadgeTone }> = {
  verifying: { text: 'Verifying', tone: 'blue' },
  published: { text: 'Published', tone: 'green' },
  verification_failed: { text: 'Verification failed', tone: 'red' },
  unlisted: { text: 'Unlisted', tone: 'neutral' },
};

export function ListingStatusBadge({ status }: { status: ListingStatus }) {
  const l = labels[status];
  return (
    <Badge tone={l.tone} caps={false} data-testid="listing-status" data-status={status}>
      {l.text}
    </Badge>
  );
}
