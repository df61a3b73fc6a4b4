export { createMarketplace, type MarketplaceOptions, type MarketplaceService } from './create-marketplace.ts';
export type { MarketplaceLogger } from './deps.ts';
export { renderMarkdown } from './markdown.ts';
export type { DeploymentEquity, MarketplaceStrategies } from './marketplace-strategies.ts';
