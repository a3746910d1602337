/** How the console writes money, bytes and months. */
const usd = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD', minimumFractionDigits: 2, maximumFractionDigits: 2 });
const small = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD', maximumSignificantDigits: 3 });

/** Dollars to the cent; below a cent (a small local archive), three significant digits, so it is not shown as $0.00. */
export function money(value: number): string {
  if (value !== 0 && Math.abs(value) < 0.01) return small.format(value);
  return usd.format(value);
}

const axis = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD', notation: 'compact', maximumSignificantDigits: 3 });
/** An axis tick: three significant digits, so close ticks of small amounts stay apart ($0.012, $0.014). */
export const axisMoney = (value: number): string => axis.format(value);

export function signedMoney(value: number): string {
  return value > 0 ? `+${money(value)}` : money(value);
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
export function bytes(value: number): string {
  let n = value;
  let unit = 0;
  while (Math.abs(n) >= 1024 && unit < UNITS.length - 1) {
    n /= 1024;
    unit += 1;
  }
  return `${n.toFixed(unit === 0 ? 0 : 1)} ${UNITS[unit]}`;
}

/** `2026-12` and `n` → the month `n` months earlier. */
export function monthsBefore(month: string, n: number): string {
  const [year, m] = month.split('-').map(Number) as [number, number];
  const index = year * 12 + (m - 1) - n;
  return `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, '0')}`;
}
