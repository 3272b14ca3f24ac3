// How money and durations read in every notice (mail templates, Slack, charge explanations): defined once here so
// billing, templates and Slack cannot drift. Leaves out dates and time zones (templates.ts formats those per ticket).
import type { Currency } from './policy.ts';

/** Minor-unit digits per currency (ISO 4217): prices are stored in minor units. */
export const currencyMinorDigits: Record<Currency, number> = { USD: 2, EUR: 2, GBP: 2, CZK: 2, AUD: 2 };

/** An amount of `currency` in minor units (80 USD → 8000), or null when it is negative or has more decimals than the currency. */
export function minorUnitsOf(amount: number, currency: Currency): number | null {
  const scaled = amount * 10 ** currencyMinorDigits[currency];
  const minor = Math.round(scaled);
  return Number.isFinite(amount) && amount >= 0 && Math.abs(scaled - minor) <= 1e-6 && Number.isSafeInteger(minor) ? minor : null;
}

function canonicalLocale(locale: string): string {
  try {
    return Intl.getCanonicalLocales(locale)[0] ?? 'en';
  } catch {
    return 'en';
  }
}

export interface FormatMoneyOptions {
  /** `symbol` ("$80.00", the default) or `code` ("USD 80.00": the ISO code keeps AUD and USD apart in mail). */
  display?: 'symbol' | 'code';
}

/**
 * Formats minor units as money in a locale: formatMoney(8000, 'USD') → "$80.00", formatMoney(160000, 'CZK', 'cs') →
 * "1 600,00 Kč" (with the locale's own spaces, often U+00A0). An invalid locale tag (e.g. "en_US") falls back to "en"
 * rather than failing a notice.
 */
export function formatMoney(amountMinor: number, currency: Currency | string, locale = 'en', options: FormatMoneyOptions = {}): string {
  if (!Number.isSafeInteger(amountMinor)) throw new RangeError(`amountMinor must be an integer, got ${amountMinor}`);
  const { format, digits } = moneyFormat(currency, locale, options.display ?? 'symbol');
  return format.format(amountMinor / 10 ** digits);
}

/**
 * Intl.NumberFormat instances by currency, locale and display: building one costs far more than formatting with it
 * (every ticket card and list line formats a price). The few combinations a deployment uses stay cached.
 */
const moneyFormats = new Map<string, { format: Intl.NumberFormat; digits: number }>();
function moneyFormat(currency: string, locale: string, display: NonNullable<FormatMoneyOptions['display']>) {
  const key = `${currency}\u0000${locale}\u0000${display}`;
  let cached = moneyFormats.get(key);
  if (!cached) {
    const base = { style: 'currency', currency, currencyDisplay: display } as const;
    // A currency outside the policy's list (a stored row from an older policy) keeps ISO 4217's digits; an invalid code throws.
    const digits = currencyMinorDigits[currency as Currency] ?? new Intl.NumberFormat('en', base).resolvedOptions().maximumFractionDigits ?? 2;
    cached = { format: new Intl.NumberFormat(canonicalLocale(locale), { ...base, minimumFractionDigits: digits, maximumFractionDigits: digits }), digits };
    if (moneyFormats.size < 1_000) moneyFormats.set(key, cached);
  }
  return cached;
}

/** The words for day, hour and minute in an elapsed time ("d", "h", "min" in English); no day: hours only. */
export interface ElapsedUnits {
  day?: string;
  hour: string;
  minute: string;
}

export const englishElapsedUnits: ElapsedUnits = { day: 'd', hour: 'h', minute: 'min' };

/** Wall-clock time in whole minutes, the two largest units: "2 d 3 h", "3 h 15 min", "12 min", "< 1 min". */
export function formatElapsedWith(ms: number, unit: ElapsedUnits): string {
  const minutes = Math.max(0, Math.round(ms / 60_000));
  // A breach seen by the sweeper at its due instant or seconds after it is not "0 min late" (the sweeper wakes at the
  // due time, so 0 is the usual lateness). A negative span (clocks apart) still reads as zero.
  if (minutes === 0 && ms >= 0) return `< 1 ${unit.minute}`;
  // Support time has no 24-hour day (a business day is 9 support hours): it is counted in hours only.
  const days = unit.day === undefined ? 0 : Math.floor(minutes / 1440);
  const hours = Math.floor((minutes - days * 1440) / 60);
  const rest = minutes % 60;
  if (days > 0) return hours > 0 ? `${days} ${unit.day} ${hours} ${unit.hour}` : `${days} ${unit.day}`;
  if (hours > 0) return rest > 0 ? `${hours} ${unit.hour} ${rest} ${unit.minute}` : `${hours} ${unit.hour}`;
  return `${rest} ${unit.minute}`;
}

/** Support time (an SLA target's budget, paused time left) in hours and minutes, never days: "27 h", "2 h 30 min". */
export function formatSupportTime(ms: number): string {
  return formatElapsedWith(ms, { hour: englishElapsedUnits.hour, minute: englishElapsedUnits.minute });
}

/** "2 d 3 h", "3 h 15 min", "12 min" (Slack and logs; mail uses its own language's words). */
export function formatElapsed(ms: number): string {
  return formatElapsedWith(ms, englishElapsedUnits);
}
