/**
 * Billing units as AWS meters them: binary GB (2^30 bytes), storage as TimedStorage-ByteHrs
 * turned into GB-months with the hours of the billing month (S3 FAQ: 744 for a 31-day month),
 * months in UTC. Pure: callers pass the times.
 */
export const BYTES_PER_GB = 2 ** 30;
export const HOUR_MS = 3_600_000;

/** `YYYY-MM` of an ISO time (UTC). */
export const monthOf = (iso: string): string => iso.slice(0, 7);
/** `YYYY-MM-DD` of an ISO time (UTC). */
export const dayOf = (iso: string): string => iso.slice(0, 10);

function monthStart(month: string): number {
  const match = /^(\d{4})-(\d{2})$/.exec(month);
  if (!match) throw new RangeError(`not a month: "${month}" (expected YYYY-MM)`);
  return Date.UTC(Number(match[1]), Number(match[2]) - 1, 1);
}

/** The month after `month`. */
export function nextMonth(month: string): string {
  const start = new Date(monthStart(month));
  start.setUTCMonth(start.getUTCMonth() + 1);
  return start.toISOString().slice(0, 7);
}

/** Every month from `from` to `to`, both included. */
export function monthsBetween(from: string, to: string): string[] {
  const months: string[] = [];
  for (let month = from; month <= to; month = nextMonth(month)) months.push(month);
  return months;
}

export const hoursInMonth = (month: string): number => (monthStart(nextMonth(month)) - monthStart(month)) / HOUR_MS;

/** Hours from `iso` to the end of its month: what a change at `iso` adds to the month's byte-hours, per byte. */
export const hoursToMonthEnd = (iso: string): number => (monthStart(nextMonth(monthOf(iso))) - Date.parse(iso)) / HOUR_MS;

/** GB-months of `byteHours` in `month`. */
export const gbMonths = (byteHours: number, month: string): number => byteHours / BYTES_PER_GB / hoursInMonth(month);

/** Rounds dollars to cents, as the bill shows them. */
export const cents = (dollars: number): number => Math.round((dollars + Number.EPSILON) * 100) / 100;
