import { AppError, canonicalSymbol, type KlineInterval, klineInterval, venueId } from '@qt/shared';
import { z } from 'zod';
import {
  barLeafKinds,
  type ConditionGroup,
  dataQualityConditionSchema,
  MAX_DEPTH,
  MAX_LEAVES,
  type MarketCondition,
  type MarketLeaf,
  marketConditionSchema,
} from './conditions.ts';
import { MAX_TEMPLATE_LENGTH, unknownPlaceholders } from './template.ts';

const WEEK_MS = 7 * 86_400_000;

/**
 * When an alert may fire again after firing:
 * - `once`: the first time its condition holds, then never (the alert is done);
 * - `oncePerBar`: at most once per bar of `interval` (bars are UTC-aligned, floor(ts / interval)),
 *   evaluated on every trade;
 * - `oncePerBarClose`: evaluated only when a bar of `interval` closes, on the bar's close price;
 * - `every`: every time it holds, but not again within `cooldownMs` of the last firing.
 */
export const triggerSchema = z.discriminatedUnion('mode', [
  z.strictObject({ mode: z.literal('once') }),
  z.strictObject({ mode: z.literal('oncePerBar'), interval: klineInterval }),
  z.strictObject({ mode: z.literal('oncePerBarClose'), interval: klineInterval }),
  z.strictObject({ mode: z.literal('every'), cooldownMs: z.number().int().min(1_000).max(WEEK_MS) }),
]);
export type Trigger = z.infer<typeof triggerSchema>;

export const DEFAULT_MESSAGE = '{{alert}}: {{symbol}} at {{price}} ({{time}})';

export const alertRuleSchema = z
  .strictObject({
    id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ and -, at most 64'),
    tenantId: z.string().min(1).max(64),
    name: z.string().min(1).max(100),
    venue: venueId.optional(),
    symbol: canonicalSymbol.optional(),
    condition: z.union([dataQualityConditionSchema, marketConditionSchema]),
    trigger: triggerSchema,
    /** Epoch ms; the alert does not fire on events at or after it. */
    expiresAt: z.number().int().nonnegative().nullable().default(null),
    message: z.string().max(MAX_TEMPLATE_LENGTH).default(DEFAULT_MESSAGE),
  })
  .superRefine((rule, ctx) => {
    const problem = ruleProblem(rule as AlertRule);
    if (problem) ctx.addIssue({ code: 'custom', message: problem.message, path: problem.path });
  });
export type AlertRule = z.infer<typeof alertRuleSchema>;
export type AlertRuleInput = z.input<typeof alertRuleSchema>;

/** How the evaluator drives an alert; derived from its condition and trigger (see README, "Evaluation"). */
export type AlertEvaluation =
  | { kind: 'trade' }
  | { kind: 'close'; interval: KlineInterval }
  | { kind: 'event' };

export function isDataQualityRule(rule: AlertRule): rule is AlertRule & {
  condition: z.infer<typeof dataQualityConditionSchema>;
} {
  return rule.condition.kind === 'dataQuality';
}

export function leavesOf(c: MarketCondition, out: MarketLeaf[] = []): MarketLeaf[] {
  if (isGroup(c)) for (const child of c.conditions) leavesOf(child, out);
  else out.push(c);
  return out;
}

export function isGroup(c: MarketCondition): c is ConditionGroup {
  return c.kind === 'all' || c.kind === 'any';
}

function depthOf(c: MarketCondition): number {
  if (isGroup(c)) return 1 + Math.max(...c.conditions.map(depthOf));
  return 1;
}

export function evaluationOf(rule: AlertRule): AlertEvaluation {
  if (isDataQualityRule(rule)) return { kind: 'event' };
  const leaves = leavesOf(rule.condition as MarketCondition);
  const bar = leaves.find((l) => barLeafKinds.has(l.kind)) as { interval: KlineInterval } | undefined;
  if (rule.trigger.mode === 'oncePerBarClose') return { kind: 'close', interval: rule.trigger.interval };
  if (bar) return { kind: 'close', interval: bar.interval };
  return { kind: 'trade' };
}

function ruleProblem(rule: AlertRule): { message: string; path: (string | number)[] } | undefined {
  const bad = unknownPlaceholders(rule.message);
  if (bad.length > 0) return { message: `unknown placeholder {{${bad[0]}}}`, path: ['message'] };
  if (isDataQualityRule(rule)) {
    if (rule.trigger.mode !== 'once' && rule.trigger.mode !== 'every') {
      return {
        message: 'a data-quality alert fires once or every time (with a cooldown)',
        path: ['trigger'],
      };
    }
    return undefined;
  }
  if (!rule.venue || !rule.symbol) {
    return { message: 'a market alert names its venue and symbol', path: [rule.venue ? 'symbol' : 'venue'] };
  }
  const condition = rule.condition as MarketCondition;
  const leaves = leavesOf(condition);
  if (leaves.length > MAX_LEAVES) return { message: `at most ${MAX_LEAVES} conditions`, path: ['condition'] };
  if (depthOf(condition) > MAX_DEPTH)
    return { message: `groups nest at most ${MAX_DEPTH} deep`, path: ['condition'] };
  const evaluation = evaluationOf(rule);
  if (evaluation.kind === 'close') {
    if (rule.trigger.mode === 'oncePerBar') {
      return {
        message: 'bar-close conditions fire at most once per bar already: use oncePerBarClose',
        path: ['trigger'],
      };
    }
    for (const leaf of leaves) {
      if (leaf.kind === 'percentMove') {
        return { message: 'a percentage move is evaluated on trades, not at bar close', path: ['condition'] };
      }
      if ('interval' in leaf && leaf.interval !== evaluation.interval) {
        return {
          message: `every bar condition of one alert uses one interval (${evaluation.interval})`,
          path: ['condition'],
        };
      }
    }
  }
  return undefined;
}

/**
 * Validates an alert rule (from the API, the chart or a stored row) and fills defaults. Throws AppError
 * VALIDATION_FAILED with the first problem in words and every issue in `details.issues`.
 */
export function parseAlertRule(input: unknown): AlertRule {
  const parsed = alertRuleSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const first = parsed.error.issues[0];
  const where = first && first.path.length > 0 ? `${first.path.join('.')}: ` : '';
  throw new AppError('VALIDATION_FAILED', `Invalid alert: ${where}${first?.message ?? 'refused'}.`, {
    issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
  });
}
