export * from './roles.ts';
export * from './schemas.ts';
export * from './tier-caps.ts';
export * from './usage-schemas.ts';
