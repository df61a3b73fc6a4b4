/**
 * The trades one stream produced in one tick, in flat typed arrays reused tick after tick: no object per
 * trade on the hot path.
 */
export class TradeBatch {
  n = 0;
  /** Price in ticks. */
  price = new Float64Array(256);
  /** Size in lots. */
  lots = new Float64Array(256);
  /** 1 when the taker bought. */
  buy = new Uint8Array(256);
  /** The taker order each fill belongs to (a stream-wide counter): fills of one order share it. */
  order = new Float64Array(256);
  id = new Float64Array(256);

  clear(): void {
    this.n = 0;
  }

  push(price: number, lots: number, buy: number, order: number, id: number): void {
    if (this.n === this.price.length) this.#grow();
    const i = this.n;
    this.price[i] = price;
    this.lots[i] = lots;
    this.buy[i] = buy;
    this.order[i] = order;
    this.id[i] = id;
    this.n = i + 1;
  }

  #grow(): void {
    const size = this.price.length * 2;
    const price = new Float64Array(size);
    price.set(this.price);
    this.price = price;
    const lots = new Float64Array(size);
    lots.set(this.lots);
    this.lots = lots;
    const buy = new Uint8Array(size);
    buy.set(this.buy);
    this.buy = buy;
    const order = new Float64Array(size);
    order.set(this.order);
    this.order = order;
    const id = new Float64Array(size);
    id.set(this.id);
    this.id = id;
  }
}
