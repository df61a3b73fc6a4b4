import { ManualClock } from '@qt/shared';
import { describe, expect, it } from 'vitest';
import { killSwitchInput, setKillSwitch } from '../../src/risk/kill-switch.ts';
import { context, engineAt, limitOrder, NOON, outcome, u } from './fixtures.ts';

const clock = new ManualClock(NOON);
const on = setKillSwitch({ halted: true, reason: 'runaway strategy' }, 'user-7', clock);
const off = setKillSwitch({ halted: false, reason: 'fixed' }, 'user-7', clock);

describe('RISK_KILL_SWITCH', () => {
  it('rejects every order of a halted account, saying who halted it, when and why', () => {
    const decision = engineAt().engine.check(
      limitOrder(),
      context({ killSwitch: { tenant: null, account: on } }),
    );
    expect(decision.ok).toBe(false);
    if (decision.ok) return;
    expect(decision.rejection.code).toBe('RISK_KILL_SWITCH');
    expect(decision.rejection.message).toBe(
      'Trading is halted for this account (kill switch set by user-7 at 2025-03-10T12:00:00.000Z: ' +
        '"runaway strategy"). No orders are accepted until an admin turns the account kill switch off on the Risk page.',
    );
    expect(decision.rejection.details).toEqual({
      scope: 'account',
      by: 'user-7',
      at: NOON,
      reason: 'runaway strategy',
    });
  });

  it('halts every account of a tenant, and the tenant switch wins over the account one', () => {
    const { engine } = engineAt();
    for (const accountId of ['a', 'b']) {
      const decision = engine.check(
        limitOrder(),
        context({ accountId, killSwitch: { tenant: on, account: off } }),
      );
      expect(decision.ok ? null : decision.rejection.details.scope).toBe('tenant');
    }
  });

  it('accepts orders again once the switch is turned off', () => {
    const ctx = context({ killSwitch: { tenant: off, account: off } });
    expect(outcome(engineAt().engine.check(limitOrder(), ctx))).toBe('ok');
  });

  it('runs first: a halted account fails nothing else and uses no rate slot', () => {
    const { engine } = engineAt();
    const halted = context(
      { lastPrice: null, killSwitch: { tenant: null, account: on } },
      { maxOrdersPerSecond: 1 },
    );
    expect(outcome(engine.check(limitOrder({ price: u('1') }), halted))).toBe('RISK_KILL_SWITCH');
    expect(engine.view(halted)).toMatchObject({ status: 'halted', usage: { ordersLastSecond: 0 } });
  });

  it('shows the halt in the view', () => {
    const { engine } = engineAt();
    const view = engine.view(context({ killSwitch: { tenant: on, account: null } }));
    expect(view.status).toBe('halted');
    expect(view.halt).toEqual({ scope: 'tenant', by: 'user-7', at: NOON, reason: 'runaway strategy' });
  });

  it('takes who and when from the server, never the client', () => {
    expect(killSwitchInput.safeParse({ scope: 'tenant', halted: true, reason: 'x', by: 'me' }).success).toBe(
      false,
    );
    expect(killSwitchInput.safeParse({ scope: 'account', halted: true, reason: '  ' }).success).toBe(false);
    expect(killSwitchInput.parse({ scope: 'account', halted: false, reason: ' done ' }).reason).toBe('done');
  });
});
