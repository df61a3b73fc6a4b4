import { Prisma } from '@qt/db';
import { AMOUNT_SCALE, formatScaled, parseScaled } from '@qt/shared';

/** bigint units of 10^-18 <-> the database's numeric(38,18), through decimal text (never a float). */
export function toDecimal(units: bigint): Prisma.Decimal {
  return new Prisma.Decimal(formatScaled(units, AMOUNT_SCALE));
}

export function fromDecimal(d: Prisma.Decimal | { toFixed(): string }): bigint {
  return parseScaled(d.toFixed(), AMOUNT_SCALE);
}
