export * from './alert-rule.ts';
export * from './conditions.ts';
export * from './price.ts';
export * from './template.ts';
