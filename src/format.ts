/**
 * Number formats for documents and charts, all through Intl so a dataset in
 * another language gets its own digits, separators and compact units (萬/億,
 * 万/亿, K/M/B) without code changes.
 */

const cache = new Map<string, Intl.NumberFormat>();
function nf(lang: string, options: Intl.NumberFormatOptions): Intl.NumberFormat {
  const key = `${lang}|${JSON.stringify(options)}`;
  let f = cache.get(key);
  if (!f) {
    f = new Intl.NumberFormat(lang, options);
    cache.set(key, f);
  }
  return f;
}

/** Every digit, grouped: 12,345 (or not grouped, for years and codes: 1791). */
export function exactNumber(value: number, lang: string, grouping = true): string {
  return nf(lang, { maximumFractionDigits: 20, useGrouping: grouping }).format(value);
}

/** Compact form as a reader would say it: 1.2345萬, 30.9億. Keeps up to four decimals so it stays exact for the source's own figures. */
export function compactNumber(value: number, lang: string): string {
  return nf(lang, { notation: 'compact', maximumFractionDigits: 4 }).format(value);
}

/** A percentage given in percent units (10.3 → 10.3%); `signed` adds + for growth. */
export function percent(value: number, lang: string, signed = false): string {
  return nf(lang, { style: 'percent', maximumFractionDigits: 4, signDisplay: signed ? 'exceptZero' : 'auto' }).format(value / 100);
}

/** Whether the dataset's language writes units straight after numbers (CJK) or after a space. */
function joinsUnits(lang: string): boolean {
  return /^(zh|ja|ko)\b/i.test(lang);
}

/** A value with its unit: 1.2345萬件, 48.1%, 30.9億元, "2,246 stations". */
export function withUnit(value: number, unit: string, lang: string, compact = true, grouping = true): string {
  if (unit === '%') return percent(value, lang);
  const number = compact ? compactNumber(value, lang) : exactNumber(value, lang, grouping);
  return `${number}${joinsUnits(lang) ? '' : ' '}${unit}`;
}

/** True when the compact form hides digits, so the exact figure is worth printing beside it. */
export function compactDiffers(value: number, lang: string): boolean {
  return compactNumber(value, lang) !== exactNumber(value, lang);
}

/**
 * The unit an axis of `values` is written in, as the language's compact notation chooses it for
 * the largest: 30664.85億 → 億 (÷ 10^8), 2.3 million → M (÷ 10^6); none (÷ 1) for small values.
 * The axis then shows 3.07 under a title naming 萬億元, not 3066485000000.
 */
export function axisScale(values: readonly number[], lang: string): { divisor: number; word: string } {
  const largest = Math.max(0, ...values.map(Math.abs));
  const word = (n: number) => compactNumber(n, lang).replace(/[\d.,\s\u00a0-]/g, '');
  const wanted = word(largest);
  if (wanted === '') return { divisor: 1, word: '' };
  for (let power = 1; power <= 18; power++) {
    if (word(10 ** power) === wanted) return { divisor: 10 ** power, word: wanted };
  }
  return { divisor: 1, word: '' };
}
