/**
 * The risk view is a contract of the API (the risk `get` output), so its schema lives in `@qt/shared`;
 * re-exported here for the domain code and callers that name it from `@qt/trading`.
 */
export {
  type RiskLimitsView,
  type RiskStatus,
  type RiskView,
  riskLimitsView,
  riskStatus,
  riskViewSchema,
} from '@qt/shared';
