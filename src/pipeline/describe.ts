/**
 * Stage 4 — context, for charts: the one sentence that says what a chart
 * shows, for a reader who cannot see it. It becomes the chart's alt text (the
 * SVG's aria-label, which Chromium writes as the /Alt of the chart's /Figure
 * in the tagged PDF), so it is made from the values the chart draws, in the
 * document's language: the values as the document prints them (with their
 * qualifiers and units), the stated change, and "not stated" where the source
 * gives no value. Every word comes from the labels (chartAlt…), which a
 * project may override.
 */
import { percent } from '../format.js';
import type { Labels } from '../labels.js';

/** One value a chart draws. */
export interface AltValue {
  /** What the value is of: a metric (專利申請量), a city and its rank (深圳 第1位), a period (2013年). */
  readonly label: string;
  /** The value as the document prints it (8.0692萬件, 逾6億元), or undefined where the source states none. */
  readonly display: string | undefined;
  /** The stated year-on-year change, in percent (10.3 for +10.3%). */
  readonly change?: number;
  /** Computed from other figures, not stated: said with the document's own tag. */
  readonly derived?: boolean;
}

/** The values of one line of a chart (a series over periods), or of the whole chart when `name` is absent. */
export interface AltGroup {
  readonly name?: string;
  readonly values: readonly AltValue[];
}

export interface AltChart {
  /** The chart's title, as its caption prints it. */
  readonly title: string;
  /** Whom the chart is about, where the title does not say (the city of a briefing): put before the title. */
  readonly subject?: string;
  readonly groups: readonly AltGroup[];
}

/**
 * The chart's alt text: `chartAlt` with the title and the values, e.g.
 * 深圳 2013年專利申請量與同比增長：專利申請量 8.0692萬件，同比增長10.3%；…。
 * Values of an unnamed group are joined with `chartAltSeparator`; a named
 * group (a line) is said as `chartAltLine`: its name and its values joined as
 * the language joins a list (深圳 2011年 5件、2012年 6件和2013年 7件).
 */
export function describeChart(chart: AltChart, labels: Labels): string {
  const value = (v: AltValue) => {
    const shown = v.display === undefined ? labels.words.unknown : `${v.display}${v.derived ? `(${labels.words.derivedTag})` : ''}`;
    return changed(labels.format('chartAltValue', { label: clean(v.label), value: shown }), v.change, labels);
  };
  const items = chart.groups.flatMap((group) => {
    if (group.name === undefined) return group.values.map(value);
    return [labels.format('chartAltLine', { name: clean(group.name), values: labels.list(group.values.map(value)) })];
  });
  const title = clean([chart.subject, chart.title].filter(Boolean).join(' '));
  return labels.format('chartAlt', { title, items: items.join(labels.words.chartAltSeparator) });
}

/** A value said with its stated change: rising, falling or flat, the change formatted as the document formats it (unsigned: the words say which way). */
function changed(said: string, change: number | undefined, labels: Labels): string {
  if (change === undefined || !Number.isFinite(change)) return said;
  if (change === 0) return labels.format('chartAltFlat', { value: said });
  return labels.format(change > 0 ? 'chartAltRise' : 'chartAltFall', { value: said, change: percent(Math.abs(change), labels.lang) });
}

/** Labels as one line: chart labels may hold line breaks or runs of spaces that lay them out (深圳  第1位). */
function clean(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
