/**
 * Stage 4 — context: the view model each document is rendered from. Numbers
 * are formatted here once (compact and exact), ranks and qualifiers turned
 * into words of the dataset's language, chart rows prepared, and every figure
 * tied to the source fragment it comes from. Templates only arrange.
 */
import path from 'node:path';
import { axisScale, compactDiffers, percent, withUnit } from '../format.js';
import type { Labels } from '../labels.js';
import { describeChart, type AltGroup } from './describe.js';
import { CELL_REF, metricLabel, type CityData, type FieldDeclarationData, type FigureData, type RankData } from './schema.js';
import type { Valid } from './validate.js';

export interface FigureView {
  readonly id: string;
  readonly metric: string;
  readonly label: string;
  readonly subject: string | undefined;
  readonly value: number;
  readonly unit: string;
  /** Compact, with qualifier and unit: 逾6億元, 1.2345萬件. */
  readonly display: string;
  /** Every digit with unit, when the compact form rounds: 12,345件. */
  readonly exact: string | undefined;
  /** Signed year-on-year change: +10.3%. */
  readonly change: string | undefined;
  readonly period: string;
  readonly derived: boolean;
  readonly derivedMethod: string | undefined;
  readonly derivedFrom: readonly string[];
  readonly source: string | undefined;
  /** Footnote number of its source in the document's source list. */
  readonly note: number | undefined;
  readonly key: boolean;
  /** The figure is one period of a series: the series' table prints it (the list of other figures does not). */
  readonly inSeries: boolean;
  /** The dataset's own figure fields, as the data gives them. */
  readonly [field: string]: unknown;
}

export interface ChartView {
  readonly id: string;
  readonly spec: string;
  readonly title: string;
  readonly note: string | undefined;
  readonly rows: readonly ChartRow[];
  /** What the chart shows, in one sentence of the document's language (describe.ts): its alt text. */
  readonly alt: string;
}

export interface ChartRow {
  readonly label: string;
  readonly series: string;
  readonly group: string;
  readonly value: number | null;
  readonly valueText: string;
  readonly style: 'stated' | 'derived' | 'highlight' | 'unknown';
  /** The row is about the city the document is for (cross-city charts). */
  readonly current: boolean;
  readonly order: number;
  /** Which part of a whole the row is (stacked bars stack the parts in this order). */
  readonly part?: number;
}

/** A table of series: a row per period, a column per series (a metric, or what its figures are about). */
export interface SeriesTable {
  readonly caption: string;
  readonly columns: readonly string[];
  readonly rows: readonly { readonly period: string; readonly cells: readonly ({ readonly display: string; readonly note: number | undefined; readonly derived: boolean } | null)[] }[];
}

/** What templates see of the dataset, the same in every document. */
export interface DatasetView {
  readonly title: string;
  readonly period: string;
  readonly source: Valid['dataset']['source'] & {
    readonly fileName: string;
    /** The authors with their roles: 王明/文 李華/圖. */
    readonly byline: string;
    /** How the source is credited: its attribution, else the publication and the byline. */
    readonly credit: string;
  };
  readonly ranking: { readonly title: string; readonly metric: string } | undefined;
}

export interface CityView {
  readonly id: string;
  readonly name: string;
  readonly otherNames: readonly string[];
  readonly headline: readonly string[];
  readonly narrative: readonly string[];
  readonly commentary: string | undefined;
  readonly rank: { readonly text: string; readonly source: string; readonly note: number } | undefined;
  readonly figures: readonly FigureView[];
  readonly keyFigures: readonly FigureView[];
  readonly programmes: readonly { readonly name: string; readonly kind: string; readonly source: string }[];
  readonly charts: readonly ChartView[];
  /** The city's series as tables, periods down and series across: what its series charts draw, with each value's note. */
  readonly tables: readonly SeriesTable[];
  readonly hasDerived: boolean;
  /** The dataset's own city fields that print as text, in the order dataset.yaml declares them, with their labels. */
  readonly facts: readonly { readonly name: string; readonly label: string; readonly value: string }[];
  /** Each per-city kind's output for this city, relative to the out folder: { briefing: 'riverton/briefing.pdf' }. */
  readonly documents: Readonly<Record<string, string>>;
  /** The dataset's own city fields, as the data gives them (an image field holds the image's name: {{asset city.photo}}). */
  readonly [field: string]: unknown;
}

export interface CityContext {
  readonly lang: string;
  /** The words the document prints: {{labels.keyFigures}}. */
  readonly labels: Labels['words'];
  /** The project's logo (an image name for {{asset logo}}), if it has one. */
  readonly logo: string | undefined;
  readonly dataset: DatasetView;
  readonly city: CityView;
  /** Source fragments cited in the document, numbered from 1. */
  /** The numbered sources: a quote of the source text (`quoted`, printed in quotation marks), a workbook cell or a citation. */
  readonly notes: readonly { readonly n: number; readonly text: string; readonly quoted: boolean }[];
}

/** What the context stage needs besides the data. */
export interface ContextOptions {
  readonly logo?: string;
  /** Output paths (without extension) of the per-city kinds, with {city}: { briefing: '{city}/briefing' }. */
  readonly documents: Readonly<Record<string, string>>;
}

export interface OverviewContext {
  readonly lang: string;
  readonly labels: Labels['words'];
  readonly logo: string | undefined;
  readonly dataset: DatasetView;
  /** Every city, each with an anchor for links within the document (its documents' paths are relative to the out folder). */
  readonly cities: readonly (CityView & { readonly anchor: string })[];
  readonly ranks: readonly { readonly name: string; readonly text: string; readonly stated: boolean }[];
  /** The cross-city ranking chart, then one chart per metric stated for several cities. */
  readonly charts: readonly ChartView[];
}

/**
 * The overview puts cities side by side: their stated ranks, and each metric
 * that several cities state, in one chart per metric so they share a scale.
 * `specs` are the chart specs the templates have: a chart whose spec is
 * missing is left out (a kind that draws no chart needs none).
 */
export function buildOverviewContext(valid: Valid, cities: readonly CityContext[], specs: ReadonlySet<string>): OverviewContext {
  const first = cities[0];
  if (!first) throw new Error('an overview needs at least one city');
  const { labels } = valid;
  const { lang, dataset, logo } = first;
  const charts: ChartView[] = [];
  if (dataset.ranking && specs.has('ranking')) charts.push(rankingChart(rankingRows(valid, labels, dataset.ranking.metric), undefined, labels, dataset.ranking.title));

  const metrics = new Map<string, { city: CityView; figure: FigureView }[]>();
  for (const { city } of cities) {
    const seen = new Set<string>();
    for (const figure of city.figures) {
      // A series is compared in its own chart (below); of it, the bars show the dataset's period.
      if (figure.derived || (figure.inSeries && figure.period !== dataset.period)) continue;
      // Once per period and subject: a key figure and its series row state the same value.
      const as = JSON.stringify([figure.metric, figure.subject ?? '', figure.period]);
      if (seen.has(as)) continue;
      seen.add(as);
      const list = metrics.get(figure.metric) ?? [];
      list.push({ city, figure });
      metrics.set(figure.metric, list);
    }
  }
  for (const [metric, entries] of specs.has('bars') ? metrics : []) {
    if (new Set(entries.map((e) => e.city.id)).size < 2) continue;
    const periods = new Set(entries.map((e) => e.figure.period));
    const rows = [...entries]
      .sort((a, b) => b.figure.value - a.figure.value)
      .map(({ city, figure }, order): ChartRow => ({
        label: periods.size > 1 || figure.subject ? `${city.name}${figure.subject ? ` · ${figure.subject}` : ''}${periods.size > 1 ? `(${figure.period})` : ''}` : city.name,
        series: city.name,
        group: figure.period,
        value: figure.value,
        valueText: figure.display,
        style: 'stated',
        current: false,
        order,
      }));
    const title = metricLabel(valid.dataset, metric);
    const alt = describeChart({ title, groups: [{ values: rows.map((row) => ({ label: row.label, display: row.valueText })) }] }, labels);
    charts.push({ id: `compare-${metric}`, spec: 'bars', title, note: periods.size > 1 ? labels.words.periodsDiffer : undefined, rows, alt });
  }
  if (specs.has('lines')) charts.push(...trendCharts(cities.map((c) => c.city), valid));

  return {
    lang,
    labels: labels.words,
    logo,
    dataset,
    cities: cities.map(({ city }) => ({ ...city, anchor: `city-${city.id}` })),
    ranks: cities.map(({ city }) => ({ name: city.name, text: city.rank?.text ?? labels.words.rankUnknown, stated: city.rank !== undefined })),
    charts,
  };
}

/**
 * Several cities over time: for each metric that at least two cities state as a series of their
 * own (not of a subject), one chart with a line per city, on one axis.
 */
function trendCharts(cities: readonly CityView[], valid: Valid): ChartView[] {
  const byMetric = new Map<string, { city: CityView; figures: FigureView[] }[]>();
  for (const city of cities) {
    const own = new Map<string, FigureView[]>();
    for (const figure of city.figures) {
      if (!figure.inSeries || figure.subject !== undefined || figure.derived) continue;
      const key = JSON.stringify([figure.metric, figure.unit]);
      const list = own.get(key) ?? [];
      // One point a period, as in the city's own chart.
      if (!list.some((f) => f.period === figure.period)) list.push(figure);
      own.set(key, list);
    }
    for (const [key, figures] of own) {
      if (figures.length < SERIES_PERIODS) continue;
      const list = byMetric.get(key) ?? [];
      list.push({ city, figures });
      byMetric.set(key, list);
    }
  }
  const charts: ChartView[] = [];
  for (const [key, entries] of byMetric) {
    if (entries.length < 2) continue;
    const [metric, unit] = JSON.parse(key) as [string, string];
    const periods = [...new Set(entries.flatMap((e) => e.figures.map((f) => f.period)))].sort(periodOrder);
    const scale = axisScale(entries.flatMap((e) => e.figures.map((f) => f.value)), valid.dataset.lang);
    const rows = entries.flatMap(({ city, figures }) => figures.map((f) => ({ ...pointRow(f, { periods }, f.period, city.name, scale.divisor), valueText: '' })));
    const title = scaledTitle(metricLabel(valid.dataset, metric), scale.word, unit, valid.dataset.lang);
    // The lines print no values; the alt text says each point's as the document prints it.
    const groups = entries.map(({ city, figures }) => ({ name: city.name, values: [...figures].sort((a, b) => periodOrder(a.period, b.period)).map((f) => ({ label: f.period, display: f.display })) }));
    charts.push({ id: `trend-${metric}${charts.some((c) => c.id === `trend-${metric}`) ? '-2' : ''}`, spec: 'lines', title, note: undefined, rows, alt: describeChart({ title, groups }, valid.labels) });
  }
  return charts;
}

/**
 * Per-city contexts on demand, sharing what is computed once per build (the
 * cross-city ranking), so a large build never holds every context at once.
 */
export function contextBuilder(valid: Valid, options: ContextOptions, specs: ReadonlySet<string>): { city(city: CityData): CityContext } {
  const { dataset, labels } = valid;
  const lang = dataset.lang;
  const ranking = dataset.ranking && specs.has('ranking') ? dataset.ranking : undefined;
  const shared: DatasetView = {
    title: dataset.title,
    period: dataset.period,
    source: { ...dataset.source, fileName: path.basename(valid.sourceFile), byline: byline(dataset.source), credit: credit(dataset.source) },
    ranking: dataset.ranking ? { title: dataset.ranking.title, metric: dataset.ranking.metric } : undefined,
  };

  const rows = ranking ? rankingRows(valid, labels, ranking.metric) : undefined;
  return {
    city(city) {
      const notes: { n: number; text: string; quoted: boolean }[] = [];
      const cite = (source: FigureData['source'] & {}) => {
        const { text, quoted } = sourceText(source, valid);
        const found = notes.find((n) => n.text === text && n.quoted === quoted);
        if (found) return found.n;
        notes.push({ n: notes.length + 1, text, quoted });
        return notes.length;
      };
      const rank = city.rank ? { text: rankText(city.rank, labels), source: city.rank.source, note: cite(city.rank.source) } : undefined;
      const groups = findSeries(city.figures, dataset.period);
      const grouped = new Set(groups.flatMap((g) => g.members));
      const figures = city.figures.map((f, i) => figureView(f, city, valid, f.source ? cite(f.source) : undefined, grouped.has(i)));
      // Charts name their figures by id: one lookup each, however many figures a city has.
      const figureById = new Map(figures.map((f) => [f.id, f]));
      const changeById = new Map(city.figures.map((f) => [f.id, f.change?.value]));
      const name = city.name[lang] ?? city.id;
      const charts: ChartView[] = city.charts.map((chart) => {
        const rows = apart(chart.figures.map((id, order) => figureRow(figureById.get(id)!, order, labels)), chart.figures.map((id) => figureById.get(id)!));
        const values = chart.figures.map((id, i) => {
          const f = figureById.get(id)!;
          return { label: rows[i]!.label, display: f.display, change: changeById.get(id), derived: f.derived };
        });
        return { id: chart.id, spec: chart.spec, title: chart.title, note: chart.note, rows, alt: describeChart({ title: chart.title, subject: name, groups: [{ values }] }, labels) };
      });
      // A series a chart of the city file already draws is not drawn again.
      const drawn = new Set(city.charts.flatMap((c) => c.figures));
      const series = groups.map((g) => seriesView(g, figures, valid));
      for (const one of series) {
        if (one.lines.some((l) => l.points.some((p) => drawn.has(p.figure.id)))) continue;
        const chart = seriesChart(one, specs, valid, `series-${one.metric}${one.index > 0 ? `-${one.index}` : ''}`, name);
        if (chart) charts.push(chart);
      }
      if (ranking && rows) charts.push(rankingChart(rows, city.id, labels, ranking.title));

      return {
        lang,
        labels: labels.words,
        logo: options.logo,
        dataset: shared,
        city: {
          ...ownFields(city, valid.fields.city),
          id: city.id,
          name,
          otherNames: Object.entries(city.name).filter(([l]) => l !== lang).map(([, n]) => n),
          headline: city.headline,
          narrative: city.narrative,
          commentary: city.commentary,
          rank,
          figures,
          keyFigures: figures.filter((f) => f.key),
          programmes: city.programmes.map((p) => ({ name: p.name, kind: labels.words.programmeKinds[p.kind] ?? p.kind, source: p.source })),
          charts,
          tables: seriesTables(series, labels),
          hasDerived: figures.some((f) => f.derived),
          facts: facts(city, valid),
          documents: Object.fromEntries(Object.entries(options.documents).map(([kind, output]) => [kind, `${output.replaceAll('{city}', city.id)}.pdf`])),
        },
        notes,
      };
    },
  };
}

/** The dataset's own fields of a city or figure, as the data gives them. */
function ownFields(item: object, declared: Readonly<Record<string, FieldDeclarationData>>): Record<string, unknown> {
  return Object.fromEntries(Object.keys(declared).flatMap((name) => (Object.hasOwn(item, name) ? [[name, (item as Record<string, unknown>)[name]]] : [])));
}

/** A city's own fields that read as text (not images), formatted in the dataset's language, in the order they are declared. */
function facts(city: CityData, valid: Valid): CityView['facts'] {
  const lang = valid.dataset.lang;
  const out: { name: string; label: string; value: string }[] = [];
  for (const [name, declaration] of Object.entries(valid.fields.city)) {
    const value = (city as Record<string, unknown>)[name];
    if (value === undefined || declaration.type === 'image') continue;
    const text = typeof value === 'number' ? withUnit(value, declaration.unit ?? '', lang, false, declaration.grouping).trim() : Array.isArray(value) ? valid.labels.list(value.map(String)) : typeof value === 'boolean' ? (value ? valid.labels.words.yes : valid.labels.words.no) : String(value);
    out.push({ name, label: declaration.label ?? name, value: text });
  }
  return out;
}

/** A metric's label; own properties only, so a metric named like an Object method is not mistaken for one. */
/** The source's authors as it credits them: 王明/文 李華/圖. */
export function byline(source: Valid['dataset']['source']): string {
  return source.authors.map((a) => `${a.name}/${a.role}`).join(' ');
}

/** The publication and its authors: 知識產權報 王明/文 李華/圖 (the PDFs' author). */
export function publicationLine(source: Valid['dataset']['source']): string {
  return [source.publication, byline(source)].filter(Boolean).join(' ');
}

/** The credit line: the source's attribution (without the brackets sources often set it in), else its publication and byline. */
export function credit(source: Valid['dataset']['source']): string {
  if (source.attribution) return source.attribution.trim().replace(/^[(（]([^()（）]*)[)）]$/, '$1');
  return publicationLine(source);
}

/** The source as the documents cite it (the citation partial): its credit line, 《title》 and date (the PDFs' dc:source). */
export function citationLine(source: Valid['dataset']['source'], labels: Labels): string {
  const title = source.title ? `${labels.words.openTitle}${source.title}${labels.words.closeTitle}` : '';
  return [credit(source), title, source.date ?? ''].filter(Boolean).join(' ');
}

export function rankText(rank: RankData, labels: Labels): string {
  if ('position' in rank) return labels.format('rankPosition', { n: rank.position });
  if ('within' in rank) return labels.format('rankWithin', { n: rank.within });
  return labels.words.rankListed;
}

/**
 * A source as the numbered list prints it: a quote as its words (in quotation marks); a workbook
 * cell as the file, sheet and cell; a citation as its parts in order, joined as the language joins.
 */
export function sourceText(source: FigureData['source'] & {}, valid: Valid): { text: string; quoted: boolean } {
  if (typeof source === 'string') return { text: source, quoted: true };
  if ('cell' in source) {
    const [, file = '', sheet = '', column = '', row = ''] = CELL_REF.exec(source.cell) ?? [];
    return { text: `${path.basename(file)}, ${sheet}!${column.toUpperCase()}${row}`, quoted: false };
  }
  // A citation by id is one of dataset.yaml's `citations` (validation saw that it is there).
  const citation = typeof source.citation === 'string' ? valid.dataset.citations[source.citation]! : source.citation;
  const { publication, title, table, page, url, date } = citation;
  const open = valid.labels.words.openTitle;
  const close = valid.labels.words.closeTitle;
  const parts = [publication, title && `${open}${title}${close}`, table, page === undefined ? undefined : typeof page === 'number' ? valid.labels.format('citationPage', { n: page }) : page, date, url].filter((p): p is string => Boolean(p));
  return { text: parts.join(', '), quoted: false };
}

/** A figure's value as every document shows it: compact, with its unit, and its qualifier (逾, 近, 約) wherever it goes. */
function displayOf(f: FigureData, valid: Valid): string {
  return `${f.qualifier ? valid.labels.words[f.qualifier] : ''}${withUnit(f.value, f.unit, valid.dataset.lang)}`;
}

function figureView(f: FigureData, city: CityData, valid: Valid, note: number | undefined, inSeries: boolean): FigureView {
  const lang = valid.dataset.lang;
  return {
    ...ownFields(f, valid.fields.figure),
    id: f.id,
    metric: f.metric,
    label: f.label ?? metricLabel(valid.dataset, f.metric),
    subject: f.subject,
    value: f.value,
    unit: f.unit,
    display: displayOf(f, valid),
    // A qualified value is itself rounded (逾3萬億元): it has no exact form to show.
    exact: !f.qualifier && f.unit !== '%' && compactDiffers(f.value, lang) ? withUnit(f.value, f.unit, lang, false) : undefined,
    change: f.change ? percent(f.change.value, lang, true) : undefined,
    period: f.period ?? valid.dataset.period,
    derived: f.derived !== undefined,
    derivedMethod: f.derived?.method,
    derivedFrom: (f.derived?.from ?? []).map((id) => {
      const input = city.figures.find((g) => g.id === id);
      return input ? (input.label ?? metricLabel(valid.dataset, input.metric)) : id;
    }),
    source: f.source === undefined ? undefined : sourceText(f.source, valid).text,
    note,
    key: f.key,
    inSeries,
  };
}

/** Periods a metric needs before its figures are a series: drawn as a line and printed as a table. */
export const SERIES_PERIODS = 3;

/** Periods in the order they run: 2017年 before 2021年, 2013-Q2 before 2013-Q10. */
const periodOrder = new Intl.Collator('en', { numeric: true }).compare;

interface SeriesGroup {
  readonly metric: string;
  readonly unit: string;
  /** The figures of the series, by their index among the city's figures. */
  readonly members: readonly number[];
  /** Which group of this metric it is (a metric stated in two units makes two). */
  readonly index: number;
}

/**
 * A city's series: the stated figures of one metric and unit over at least SERIES_PERIODS
 * periods, from any table or file. A figure computed from others (derived) is not a point.
 */
function findSeries(figures: readonly FigureData[], defaultPeriod: string): SeriesGroup[] {
  const byMetric = new Map<string, number[]>();
  figures.forEach((f, i) => {
    if (f.derived) return;
    const key = JSON.stringify([f.metric, f.unit]);
    const list = byMetric.get(key);
    if (list) list.push(i);
    else byMetric.set(key, [i]);
  });
  const groups: SeriesGroup[] = [];
  const perMetric = new Map<string, number>();
  for (const [key, members] of byMetric) {
    const [metric, unit] = JSON.parse(key) as [string, string];
    if (new Set(members.map((i) => figures[i]!.period ?? defaultPeriod)).size < SERIES_PERIODS) continue;
    const index = perMetric.get(metric) ?? 0;
    perMetric.set(metric, index + 1);
    groups.push({ metric, unit, members, index });
  }
  return groups;
}

interface SeriesView {
  readonly metric: string;
  readonly label: string;
  readonly unit: string;
  readonly index: number;
  readonly periods: readonly string[];
  /** One line per subject (the city itself first), each with one figure per period. */
  readonly lines: readonly { readonly subject: string | undefined; readonly points: readonly { readonly period: string; readonly figure: FigureView }[] }[];
}

function seriesView(group: SeriesGroup, figures: readonly FigureView[], valid: Valid): SeriesView {
  const members = group.members.map((i) => figures[i]!);
  const periods = [...new Set(members.map((f) => f.period))].sort(periodOrder);
  const subjects = [...new Set(members.map((f) => f.subject))].sort((a, b) => (a === undefined ? -1 : b === undefined ? 1 : 0));
  const lines = subjects.map((subject) => {
    const points: { period: string; figure: FigureView }[] = [];
    for (const period of periods) {
      // One point a period: a period stated twice (a key figure and its series row) is the first one.
      const figure = members.find((f) => f.subject === subject && f.period === period);
      if (figure) points.push({ period, figure });
    }
    return { subject, points };
  });
  return { metric: group.metric, label: metricLabel(valid.dataset, group.metric), unit: group.unit, index: group.index, periods, lines };
}

/**
 * A series drawn as the templates can: one line (spec `line`, each point labelled), several
 * subjects as parts of a whole (spec `stacked-bars`, for shares in %), or several lines (spec
 * `lines`, on an axis in the unit the title names). Undefined when the templates lack the spec.
 */
function seriesChart(series: SeriesView, specs: ReadonlySet<string>, valid: Valid, id: string, city: string): ChartView | undefined {
  const several = series.lines.length > 1;
  const spec = !several ? 'line' : series.unit === '%' && specs.has('stacked-bars') ? 'stacked-bars' : 'lines';
  if (!specs.has(spec)) return undefined;
  const named = (line: SeriesView['lines'][number]) => line.subject ?? series.label;
  const points = series.lines.flatMap((line) => line.points.map((p) => ({ line, ...p })));
  // Every point as the document prints it, a line each (a line that labels only some points says them all).
  const groups: AltGroup[] = series.lines.map((line) => ({
    name: several ? named(line) : undefined,
    values: line.points.map(({ period, figure }) => ({ label: period, display: figure.display, derived: figure.derived })),
  }));
  const alt = (title: string) => describeChart({ title, subject: city, groups }, valid.labels);
  if (spec === 'stacked-bars') {
    const title = scaledTitle(series.label, '', '%', valid.dataset.lang);
    return {
      id,
      spec,
      title,
      note: undefined,
      rows: points.map(({ line, period, figure }) => ({ ...pointRow(figure, series, period, named(line), 1), label: period, part: series.lines.indexOf(line) })),
      alt: alt(title),
    };
  }
  const scale = axisScale(points.map((p) => p.figure.value), valid.dataset.lang);
  const labelled = several ? new Set() : labelledPoints(points.map((p) => p.figure));
  const title = scaledTitle(series.label, scale.word, series.unit, valid.dataset.lang);
  return {
    id,
    spec,
    title,
    note: undefined,
    rows: points.map(({ line, period, figure }) => ({ ...pointRow(figure, series, period, named(line), scale.divisor), valueText: labelled.has(figure) ? figure.display : '' })),
    alt: alt(title),
  };
}

/** Points a line labels with their values: all of a short line; of a long one (where labels would collide) its ends, highest and lowest. */
const LABEL_ALL_POINTS = 6;
function labelledPoints(figures: readonly FigureView[]): Set<FigureView> {
  if (figures.length <= LABEL_ALL_POINTS) return new Set(figures);
  const by = [...figures].sort((a, b) => a.value - b.value);
  return new Set([figures[0]!, figures.at(-1)!, by[0]!, by.at(-1)!]);
}

/**
 * A chart's title with the unit its axis is written in: 地区生产总值(万亿元) in a language written
 * without spaces, Items lent (M items) in one written with them.
 */
export function scaledTitle(label: string, word: string, unit: string, lang: string): string {
  if (!word && !unit) return label;
  return /^(zh|ja|ko)\b/i.test(lang) ? `${label}(${word}${unit})` : `${label} (${[word, unit].filter(Boolean).join(' ')})`;
}

function pointRow(figure: FigureView, series: Pick<SeriesView, 'periods'>, period: string, line: string, divisor: number): ChartRow {
  return {
    label: line,
    series: line,
    group: period,
    value: figure.value / divisor,
    valueText: figure.display,
    style: figure.derived ? 'derived' : 'stated',
    current: false,
    order: series.periods.indexOf(period),
  };
}

/**
 * The tables a city's series print as: the series of one subject side by side (a column each),
 * and a series of several subjects in a table of its own (a column per subject).
 */
function seriesTables(series: readonly SeriesView[], labels: Labels): SeriesTable[] {
  const table = (caption: string, columns: { name: string; points: SeriesView['lines'][number]['points'] }[]): SeriesTable => {
    const periods = [...new Set(columns.flatMap((c) => c.points.map((p) => p.period)))].sort(periodOrder);
    return {
      caption,
      columns: columns.map((c) => c.name),
      rows: periods.map((period) => ({
        period,
        cells: columns.map((c) => {
          const figure = c.points.find((p) => p.period === period)?.figure;
          return figure ? { display: figure.display, note: figure.note, derived: figure.derived } : null;
        }),
      })),
    };
  };
  const single = series.filter((s) => s.lines.length === 1);
  const tables: SeriesTable[] = [];
  if (single.length > 0) tables.push(table(labels.list(single.map((s) => s.label)), single.map((s) => ({ name: s.lines[0]!.subject ? `${s.lines[0]!.subject} · ${s.label}` : s.label, points: s.lines[0]!.points }))));
  for (const s of series.filter((one) => one.lines.length > 1)) {
    tables.push(table(s.label, s.lines.map((l) => ({ name: l.subject ?? s.label, points: l.points }))));
  }
  return tables;
}

function figureRow(f: FigureView, order: number, labels: Labels): ChartRow {
  // The chart caption names the change (e.g. 同比增长, year on year); the label carries only the signed value.
  const change = f.change ? ` (${f.change})` : '';
  const derived = f.derived ? `(${labels.words.derivedTag})` : '';
  return {
    label: f.label,
    series: f.label,
    group: f.subject ?? f.period,
    value: f.value,
    valueText: `${f.display}${derived}${change}`,
    style: f.derived ? 'derived' : 'stated',
    current: false,
    order,
  };
}

/**
 * Rows of one chart told apart: figures with the same label (one metric in two periods, say) would
 * be drawn on one row, one bar over the other. Each such row's label names what differs: its
 * subject, its period. (Validation refuses figures alike in all three.)
 */
function apart(rows: ChartRow[], figures: readonly FigureView[]): ChartRow[] {
  const count = new Map<string, number>();
  for (const row of rows) count.set(row.label, (count.get(row.label) ?? 0) + 1);
  return rows.map((row, i) => {
    if (count.get(row.label)! < 2) return row;
    const twins = figures.filter((_, j) => rows[j]!.label === row.label);
    const f = figures[i]!;
    const subject = new Set(twins.map((t) => t.subject ?? '')).size > 1 && f.subject ? ` · ${f.subject}` : '';
    const period = new Set(twins.map((t) => t.period)).size > 1 ? `(${f.period})` : '';
    const label = `${row.label}${subject}${period}`;
    return { ...row, label, series: label };
  });
}

/** Cross-city rows shown in full up to this many cities; larger datasets show the top and the city itself. */
export const RANKING_ROWS = 12;

type RankingRow = Omit<ChartRow, 'style' | 'current' | 'order'> & { readonly id: string; readonly known: boolean };

/**
 * The cross-city view of the dataset's ranking, computed once per build:
 * stated ranks in order, then "top N" and "listed" statements, then cities
 * the source gives no rank for. A count the source does not state is drawn
 * as unknown, never as zero.
 */
export function rankingRows(valid: Valid, labels: Labels, metric: string): RankingRow[] {
  const lang = valid.dataset.lang;
  const weight = (r: RankData | undefined) => (!r ? 3e9 : 'position' in r ? r.position : 'within' in r ? 1e9 + r.within : 2e9);
  return valid.cities
    .map((city, index) => ({ city, index }))
    .sort((a, b) => weight(a.city.rank) - weight(b.city.rank) || a.index - b.index)
    .map(({ city }) => {
      const figure = city.figures.find((f) => f.metric === metric && !f.derived && (f.period ?? valid.dataset.period) === valid.dataset.period);
      const name = city.name[lang] ?? city.id;
      const rank = city.rank ? rankText(city.rank, labels) : labels.words.rankUnknown;
      return {
        id: city.id,
        known: figure !== undefined,
        label: `${name}  ${rank}`,
        series: name,
        group: rank,
        value: figure ? figure.value : null,
        valueText: figure ? displayOf(figure, valid) : labels.words.unknown,
      };
    });
}

/** The ranking chart for one document: every city, or for large datasets the top rows and the current city. */
function rankingChart(rows: readonly RankingRow[], current: string | undefined, labels: Labels, title: string): ChartView {
  let shown = rows;
  let note = labels.words.rankingChartNote;
  if (rows.length > RANKING_ROWS) {
    shown = rows.slice(0, RANKING_ROWS - 2);
    const own = rows.find((r) => r.id === current);
    if (own && !shown.includes(own)) shown = [...shown, own];
    note = `${note} ${labels.format('rankingTruncated', { n: rows.length - shown.length })}`;
  }
  return {
    id: 'ranking',
    spec: 'ranking',
    title,
    note,
    alt: describeChart({ title, groups: [{ values: shown.map((row) => ({ label: row.label, display: row.known ? row.valueText : undefined })) }] }, labels),
    rows: shown.map(({ id, known, ...row }, order): ChartRow => ({
      ...row,
      style: known ? (id === current ? 'highlight' : 'stated') : 'unknown',
      current: id === current,
      order,
    })),
  };
}
