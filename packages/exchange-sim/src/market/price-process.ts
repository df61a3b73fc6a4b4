import { Rng } from './rng.ts';

/** Market time is cut into fixed steps so the path depends only on the seed, never on timer jitter. */
export const priceStepMs = 50;

const stepsPerYear = (365 * 86_400_000) / priceStepMs;
/** GARCH(1,1) weights: persistence 0.997 per 50 ms step, a variance half-life of about 11 s. */
const garchAlpha = 0.012;
const garchBeta = 0.985;
/** About one jump every two minutes, of some fifteen typical step moves. */
const jumpProbability = 1 / 2_400;
const jumpScale = 15;
/** A faint pull back to the starting level, so a demo left running for days stays recognisable. */
const meanReversion = 2e-6;

/**
 * The fair price of one symbol, shared by the three venues: log returns with GARCH(1,1) variance
 * (volatility clustering) and occasional jumps, stepped every `priceStepMs` of market time.
 */
export class PriceProcess {
  readonly #rng: Rng;
  readonly #logStart: number;
  readonly #meanVariance: number;
  #logPrice: number;
  #variance: number;
  /** Step index k: `price` holds for market time [k * step, (k + 1) * step). */
  step = 0;
  price: number;
  /** The last step's log return, in units of its typical size: what nudges the takers' side. */
  lastMove = 0;

  constructor(initialPrice: number, annualVolatility: number, seed: number, salt: number) {
    this.#rng = new Rng(seed, salt);
    this.#logStart = Math.log(initialPrice);
    this.#logPrice = this.#logStart;
    this.price = initialPrice;
    const sigma = annualVolatility / Math.sqrt(stepsPerYear);
    this.#meanVariance = sigma * sigma;
    this.#variance = this.#meanVariance;
  }

  /** The start of the next step in market time: the current price holds until then. */
  get validUntil(): number {
    return (this.step + 1) * priceStepMs;
  }

  /** How active the market is now relative to normal (sqrt of variance ratio, bounded): scales arrivals. */
  get activity(): number {
    const a = Math.sqrt(this.#variance / this.#meanVariance);
    return Math.min(2, Math.max(0.5, a));
  }

  advance(): void {
    const rng = this.#rng;
    const sd = Math.sqrt(this.#variance);
    let r = sd * rng.normal() - meanReversion * (this.#logPrice - this.#logStart);
    if (rng.next() < jumpProbability) r += jumpScale * Math.sqrt(this.#meanVariance) * rng.normal();
    this.#logPrice += r;
    this.price = Math.exp(this.#logPrice);
    const omega = this.#meanVariance * (1 - garchAlpha - garchBeta);
    this.#variance = omega + garchAlpha * r * r + garchBeta * this.#variance;
    this.lastMove = r / Math.sqrt(this.#meanVariance);
    this.step += 1;
  }
}
