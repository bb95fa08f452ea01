/**
 * The words a document prints that are not data: section headings, notes,
 * the names of programme kinds, "not stated", the page footer. citybrief
 * ships defaults for zh-Hant, zh-Hans and en that say nothing about any
 * subject; a project overrides any of them in labels/<lang>.yaml, and a
 * project in another language writes that file whole.
 *
 * A label is a text, a text with placeholders ({n}), or for counts a mapping
 * of plural categories (one, other, …) chosen with Intl.PluralRules.
 */
import { z } from 'zod';

/** What each label is: plain text, text with named placeholders, a plural text, or a mapping of names. */
type Spec = { readonly kind: 'text'; readonly vars?: readonly string[] } | { readonly kind: 'plural'; readonly vars: readonly string[] } | { readonly kind: 'map' };

const text: Spec = { kind: 'text' };
const count: Spec = { kind: 'text', vars: ['n'] };

/** Every label there is. A project's labels file may set these and nothing else. */
export const LABELS = {
  keyFigures: text,
  charts: text,
  narrative: text,
  programmes: text,
  commentary: text,
  highlights: text,
  sources: text,
  sourceArticle: text,
  figureSources: text,
  generatedFrom: text,
  derivedTag: text,
  /** A yes/no field's value as a document prints it. */
  yes: text,
  no: text,
  derivedNote: text,
  over: text,
  nearly: text,
  about: text,
  yoy: text,
  exact: text,
  rankPosition: count,
  rankWithin: count,
  rankListed: text,
  rankUnknown: text,
  unknown: text,
  noFigures: text,
  rankingChartNote: text,
  rankingTruncated: { kind: 'plural', vars: ['n'] },
  pageFooter: { kind: 'text', vars: ['page', 'pages'] },
  citationPage: { kind: 'text', vars: ['n'] },
  openQuote: text,
  closeQuote: text,
  openTitle: text,
  closeTitle: text,
  facts: text,
  programmeKinds: { kind: 'map' },
  overview: text,
  contents: text,
  comparison: text,
  comparisonNote: text,
  ranks: text,
  fullBriefing: text,
  periodsDiffer: text,
  slides: text,
  // Chart alt text: the one sentence a screen reader reads for a chart (the PDF's /Figure /Alt),
  // made from the rows the chart draws (describe.ts). {items} are the chart's values, each
  // `chartAltValue`, joined by `chartAltSeparator`; a chart of several lines says each line as
  // `chartAltLine`, its values joined as the language joins a list. A value with a stated change
  // is said with `chartAltRise`, `chartAltFall` or `chartAltFlat`.
  chartAlt: { kind: 'text', vars: ['title', 'items'] },
  chartAltValue: { kind: 'text', vars: ['label', 'value'] },
  chartAltLine: { kind: 'text', vars: ['name', 'values'] },
  chartAltRise: { kind: 'text', vars: ['value', 'change'] },
  chartAltFall: { kind: 'text', vars: ['value', 'change'] },
  chartAltFlat: { kind: 'text', vars: ['value'] },
  chartAltSeparator: text,
} as const satisfies Record<string, Spec>;

export type LabelKey = keyof typeof LABELS;
type PluralText = Readonly<Partial<Record<Intl.LDMLPluralRule, string>>> & { readonly other: string };
/** Labels as a file writes them. */
export type LabelValues = { readonly [K in LabelKey]: (typeof LABELS)[K]['kind'] extends 'map' ? Readonly<Record<string, string>> : (typeof LABELS)[K]['kind'] extends 'plural' ? string | PluralText : string };

const zhHant: LabelValues = {
  keyFigures: '重點數據',
  charts: '數據圖表',
  narrative: '概述',
  programmes: '重點項目與舉措',
  commentary: '點評',
  highlights: '亮點',
  sources: '資料來源',
  sourceArticle: '原文:',
  figureSources: '數據出處',
  generatedFrom: '本簡報由 citybrief 依據下列原文生成;每個數字皆可追溯至原文語句。',
  derivedTag: '推算',
  yes: '是',
  no: '否',
  derivedNote: '標「推算」者並非原文所載,而是由原文數字計算得出。',
  over: '逾',
  nearly: '近',
  about: '約',
  yoy: '同比',
  exact: '精確值',
  rankPosition: '第{n}位',
  rankWithin: '前{n}位',
  rankListed: '上榜',
  rankUnknown: '未載明',
  unknown: '未載明',
  noFigures: '原文未載明本市的量化數據。',
  rankingChartNote: '僅列原文載明的名次與數值;「未載明」表示原文沒有提供,不代表為零。',
  rankingTruncated: '另有{n}個城市未列出。',
  pageFooter: '{page} / {pages}',
  citationPage: '第{n}頁',
  openQuote: '「',
  closeQuote: '」',
  openTitle: '《',
  closeTitle: '》',
  facts: '基本資料',
  programmeKinds: { programme: '項目', award: '獎項', policy: '政策', designation: '稱號', event: '活動' },
  overview: '總覽',
  contents: '目錄',
  comparison: '城市比較',
  comparisonNote: '每張圖只比較同一指標;同一圖中各城市使用相同刻度。',
  ranks: '原文載明的名次',
  fullBriefing: '完整簡報',
  periodsDiffer: '各城市數據的期間不同(見標示),比較時請留意。',
  slides: '投影片',
  // Chart alt text (see LABELS).
  chartAlt: '{title}：{items}。',
  chartAltValue: '{label} {value}',
  chartAltLine: '{name} {values}',
  chartAltRise: '{value}，同比增長{change}',
  chartAltFall: '{value}，同比下降{change}',
  chartAltFlat: '{value}，同比持平',
  chartAltSeparator: '；',
};

const zhHans: LabelValues = {
  ...zhHant,
  about: '约',
  citationPage: '第{n}页',
  keyFigures: '重点数据',
  charts: '数据图表',
  programmes: '重点项目与举措',
  commentary: '点评',
  highlights: '亮点',
  sources: '资料来源',
  figureSources: '数据出处',
  generatedFrom: '本简报由 citybrief 依据下列原文生成;每个数字皆可追溯至原文语句。',
  derivedNote: '标「推算」者并非原文所载,而是由原文数字计算得出。',
  exact: '精确值',
  rankUnknown: '未载明',
  unknown: '未载明',
  noFigures: '原文未载明本市的量化数据。',
  rankingChartNote: '仅列原文载明的名次与数值;「未载明」表示原文没有提供,不代表为零。',
  rankingTruncated: '另有{n}个城市未列出。',
  facts: '基本资料',
  programmeKinds: { programme: '项目', award: '奖项', policy: '政策', designation: '称号', event: '活动' },
  overview: '总览',
  contents: '目录',
  comparison: '城市比较',
  comparisonNote: '每张图只比较同一指标;同一图中各城市使用相同刻度。',
  ranks: '原文载明的名次',
  fullBriefing: '完整简报',
  periodsDiffer: '各城市数据的期间不同(见标示),比较时请留意。',
  slides: '演示文稿',
  // Chart alt text (see LABELS).
  chartAltRise: '{value}，同比增长{change}',
};

const en: LabelValues = {
  keyFigures: 'Key figures',
  charts: 'Charts',
  narrative: 'Summary',
  programmes: 'Programmes and initiatives',
  commentary: 'Commentary',
  highlights: 'Highlights',
  sources: 'Sources',
  sourceArticle: 'Source: ',
  figureSources: 'Where each figure is stated',
  generatedFrom: 'Generated by citybrief from the source below; every number traces to a sentence of it.',
  derivedTag: 'derived',
  yes: 'yes',
  no: 'no',
  derivedNote: 'Values marked "derived" are not stated in the source; they are computed from figures that are.',
  over: 'over ',
  nearly: 'nearly ',
  about: 'about ',
  yoy: 'YoY',
  exact: 'exact',
  rankPosition: 'No. {n}',
  rankWithin: 'Top {n}',
  rankListed: 'Listed',
  rankUnknown: 'not stated',
  unknown: 'not stated',
  noFigures: 'The source states no figures for this city.',
  rankingChartNote: 'Only ranks and values stated in the source are shown; "not stated" means the source gives none, not zero.',
  rankingTruncated: { one: '{n} more city is not shown.', other: '{n} more cities are not shown.' },
  pageFooter: 'Page {page} of {pages}',
  citationPage: 'p. {n}',
  openQuote: '“',
  closeQuote: '”',
  openTitle: '“',
  closeTitle: '”',
  facts: 'At a glance',
  programmeKinds: { programme: 'Programme', award: 'Award', policy: 'Policy', designation: 'Designation', event: 'Event' },
  overview: 'Overview',
  contents: 'Contents',
  comparison: 'Comparing cities',
  comparisonNote: 'Each chart compares one metric; all cities in a chart share one scale.',
  ranks: 'Ranks stated in the source',
  fullBriefing: 'Full briefing',
  periodsDiffer: 'The cities’ figures cover different periods (as marked); compare with care.',
  slides: 'Slides',
  // Chart alt text (see LABELS).
  chartAlt: '{title}: {items}.',
  chartAltValue: '{label}, {value}',
  chartAltLine: '{name} ({values})',
  chartAltRise: '{value}, up {change} year on year',
  chartAltFall: '{value}, down {change} year on year',
  chartAltFlat: '{value}, unchanged year on year',
  chartAltSeparator: '; ',
};

const BUILT_IN: Readonly<Record<string, LabelValues>> = { 'zh-hant': zhHant, 'zh-tw': zhHant, 'zh-hk': zhHant, 'zh-mo': zhHant, 'zh-hans': zhHans, 'zh-cn': zhHans, 'zh-sg': zhHans, zh: zhHans, en };

/** citybrief's own labels for a BCP 47 tag (exact tag, then the language alone), or undefined for a language it has none for. */
export function builtInLabels(lang: string): LabelValues | undefined {
  const tag = lang.toLowerCase();
  return BUILT_IN[tag] ?? BUILT_IN[tag.split('-')[0] ?? ''];
}

/** Placeholders a text uses: {n}, {page}. */
export function placeholders(value: string): string[] {
  return [...value.matchAll(/\{([^{}]*)\}/g)].map((m) => m[1]!);
}

const PLURAL_CATEGORIES = ['zero', 'one', 'two', 'few', 'many', 'other'] as const;

/** The shape of a labels file: every key optional, nothing unknown, placeholders checked. */
export const LabelsFile = z.strictObject(
  Object.fromEntries(
    Object.entries(LABELS).map(([key, spec]: [string, Spec]) => {
      const words = z.string().min(1, { message: 'must not be empty' });
      const vars = 'vars' in spec ? (spec.vars ?? []) : [];
      const checked = words.superRefine((value, ctx) => {
        for (const name of placeholders(value)) {
          if (!vars.includes(name)) {
            ctx.addIssue({ code: 'custom', message: vars.length ? `uses {${name}}, which this label does not have: use ${vars.map((v) => `{${v}}`).join(', ')}.` : `uses {${name}}, but this label takes no placeholder: write the text without braces.` });
          }
        }
      });
      if (spec.kind === 'map') return [key, z.record(z.string().regex(/^[a-z0-9_-]+$/, { message: 'must be a lower-case id' }), words).optional()];
      if (spec.kind === 'plural') {
        const categories = z.strictObject(Object.fromEntries(PLURAL_CATEGORIES.map((c) => [c, c === 'other' ? checked : checked.optional()])));
        return [key, z.union([checked, categories], { message: `must be a text, or a mapping of plural forms (${PLURAL_CATEGORIES.join(', ')}; "other" is required)` }).optional()];
      }
      return [key, checked.optional()];
    }),
  ),
);

/** Labels ready for a document: plain words for templates, and the ones that take values. */
export interface Labels {
  readonly lang: string;
  /** Every label as a template prints it ({{labels.keyFigures}}); plural labels in their "other" form. */
  readonly words: { readonly [K in Exclude<LabelKey, 'programmeKinds'>]: string } & { readonly programmeKinds: Readonly<Record<string, string>> };
  /** A label with its placeholders filled: format('rankPosition', { n: 3 }) → 第3位. */
  format(key: LabelKey, values?: Readonly<Record<string, string | number>>): string;
  /** Items joined as the language joins a list: 甲、乙和丙; Riverton, Millbrook, and Hollins Bay. */
  list(items: readonly string[]): string;
}

/** Labels from citybrief's defaults for the language (if it has them) with a project's values over them. */
export function makeLabels(lang: string, values: LabelValues): Labels {
  // Made when first needed: the first Intl formatter of a language costs tens of milliseconds, which a
  // rebuild with nothing to print need not pay.
  let plural: Intl.PluralRules | undefined;
  let lists: Intl.ListFormat | undefined;
  const words: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(values)) words[key] = typeof value === 'object' && !('other' in value) ? { ...value } : typeof value === 'object' ? value.other : value;
  return {
    lang,
    words: Object.freeze(words) as Labels['words'],
    format(key, given = {}) {
      const value = values[key] as string | PluralText;
      plural ??= new Intl.PluralRules(lang);
      const chosen = typeof value === 'string' ? value : (value[plural.select(Number(given.n ?? 0))] ?? value.other);
      return chosen.replace(/\{([^{}]*)\}/g, (whole, name: string) => (Object.hasOwn(given, name) ? String(given[name]) : whole));
    },
    list: (items) => (lists ??= new Intl.ListFormat(lang, { type: 'conjunction' })).format(items),
  };
}
