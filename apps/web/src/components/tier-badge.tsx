import type { Role, Tier } from '@qt/shared';
import { Badge, type BadgeProps, type BadgeTone } from './ui/badge';

const tierTones: Record<Tier, BadgeTone> = { FREE: 'neutral', PRO: 'green', ENTERPRISE: 'violet' };
const roleTones: Record<Role, BadgeTone> = {
  OWNER: 'amber',
  ADMIN: 'blue',
  TRADER: 'green',
  VIEWER: 'neutral',
};

export function TierBadge({ tier, ...props }: { tier: Tier } & Omit<BadgeProps, 'tone'>) {
  return (
    <Badge tone={tierTones[tier]} title="Plan" {...props}>
      {tier}
    </Badge>
  );
}

export function RoleBadge({ role, ...props }: { role: Role } & Omit<BadgeProps, 'tone'>) {
  return (
    <Badge tone={roleTones[role]} title="Your role in this workspace" {...props}>
      {role}
    </Badge>
  );
}
