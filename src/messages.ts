/**
 * Every user-facing string: error texts (so tests can assert against them by
 * reference) and the words printed in documents, per language. A dataset in a
 * language not listed here gets the English labels.
 */
import type { Kind } from './config.js';

export const msg = {
  unknownCity: (id: string, known: readonly string[]) =>
    `unknown city id "${id}". Known ids: ${known.join(', ')}. Check --city against the dataset's \`cities\` list.`,
  unknownKind: (kind: string, known: readonly string[]) => `unknown kind "${kind}". Use one or more of: ${known.join(', ')} (comma-separated).`,
  badEpoch: (value: string) => `SOURCE_DATE_EPOCH is "${value}"; it must be whole seconds since 1970 (or unset for PDFs without dates).`,
  /** Boxes (`data-fit` elements) whose content is larger than they are: a deck's slides, the overview's city pages. */
  overflow: (path: string, kind: Kind, boxes: readonly string[]) => {
    const many = boxes.length > 1;
    const where = kind === 'slides' ? `on ${many ? 'slides' : 'slide'}` : kind === 'overview' ? `on the ${many ? 'pages' : 'page'} of` : `in ${many ? 'the boxes' : 'the box'}`;
    return `${path}: content does not fit ${where} ${boxes.join(', ')} and would be cut off. Shorten the text or split it in the template.`;
  },
  notPositive: (name: string, value: unknown) => `${name} must be a whole number of at least 1, not ${String(value)}.`,
  badCron: (cron: string, reason: string) => `"${cron}" is not a cron schedule (${reason}). Use five fields, e.g. "0 6 * * 1" for Mondays at 06:00.`,
  noDataset: (path: string) =>
    `no dataset at ${path}. Pass --data with the path to a dataset.yaml (or the folder holding one).`,
  unreadable: (path: string, reason: string) => `cannot read ${path}: ${reason}`,
  tooLarge: (bytes: number, limit: number) =>
    `is ${(bytes / 1024 / 1024).toFixed(1)} MB; citybrief reads data files of at most ${limit / 1024 / 1024} MB. Check that this is the file you meant, or split it.`,
  notUtf8: (offset: number) => `is not valid UTF-8 (byte ${offset}). Save the file as UTF-8.`,
  yamlAliases: (reason: string) => `expands too many YAML aliases (${reason}). Write the values out instead of repeating aliases.`,
  yamlSyntax: (reason: string) => `is not valid YAML: ${reason}. Fix the syntax at this position.`,
  jsonSyntax: (reason: string) => `is not valid JSON: ${reason}. Fix the syntax at this position.`,
  duplicateKey: (format: 'YAML' | 'JSON') =>
    `is not valid ${format}: this key appears earlier in the same mapping, and a key may appear only once. Keep one of the two and delete the other.`,
  cityFileMissing: (id: string, path: string) =>
    `lists city "${id}" but ${path} does not exist. Add the file (or ${id}.json beside it) or remove "${id}" from \`cities\`.`,
  cityFileTwice: (id: string, yaml: string, json: string) =>
    `lists city "${id}", which has two files: ${yaml} and ${json}. Keep one of them and delete the other.`,
  cityIdMismatch: (id: string, file: string) =>
    `is "${id}" but the file is named ${file}. The id must match the file name.`,
  required: (expected: string) => `is required: add it (${article(expected)}).`,
  wrongType: (expected: string, value: unknown) =>
    `must be ${article(expected)}, not ${value === null ? 'empty' : typeof value === 'string' ? `the text ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}` : Array.isArray(value) ? 'a list' : typeof value === 'object' ? 'a mapping' : `${typeof value} ${String(value)}`}.`,
  unknownField: 'is not a known field: remove it or check its spelling.',
  duplicateCity: (id: string) => `lists city "${id}" twice. Each city id must be unique.`,
  duplicateFigure: (id: string) => `figure id "${id}" is used twice in this city. Give each figure its own id.`,
  unknownMetric: (id: string) => `metric "${id}" is not defined. Add it under \`metrics\` in dataset.yaml.`,
  unknownFigure: (id: string) => `figure "${id}" does not exist in this city. Use the id of one of its figures.`,
  missingName: (lang: string) => `needs a name in the dataset's language (${lang}).`,
  sourceNotFound: (file: string) =>
    `is not found verbatim in ${file}. Quote the source exactly (same characters and punctuation).`,
  figuresFileMissing: (path: string) =>
    `names ${path}, which does not exist. Check the path (it is relative to dataset.yaml) or remove \`figures\`.`,
  csvQuoteNotClosed:
    'opens a quoted cell that is never closed: the file may be cut short. Close the cell with a quote (") or export the file again; a quote inside a cell is written twice ("").',
  csvClosingQuote: 'follows the closing quote of a cell. A quoted cell must end at its quote: put the whole cell in quotes and write each quote inside it twice ("").',
  csvOpeningQuote: 'is a quote inside a cell that does not start with one. Put the whole cell in quotes and write each quote inside it twice ("").',
  csvSyntax: (reason: string) => `is not valid CSV: ${reason}. Fix the file at this position or export it again.`,
  csvSeparator: (separator: string) =>
    `separates its columns with ${separator === '\t' ? 'tabs' : `"${separator}"`}; citybrief reads comma-separated files. Export the sheet as CSV with commas (UTF-8).`,
  csvNoHeader: (columns: readonly string[]) => `has no header row. The first line must name the columns, e.g. ${columns.join(',')}.`,
  unknownColumn: (suggestion: string | undefined, columns: readonly string[]) =>
    suggestion ? `is not a known column: rename it to "${suggestion}".` : `is not a known column: remove it or rename it to one of ${columns.join(', ')}.`,
  unnamedColumn: 'is a column without a name that holds values: name it in the header or delete the column.',
  duplicateColumn: (name: string) => `column "${name}" appears twice in the header: keep one of them.`,
  missingColumn: (name: string) => `is a required column but the header lacks it: add a "${name}" column.`,
  csvCellCount: (cells: number, columns: number) =>
    `this row has ${cells} cell${cells === 1 ? '' : 's'} but the header has ${columns} columns. Quote a cell that contains a comma ("…"), or add the missing cells (they may be empty).`,
  csvCellRequired: (column: string) => `is empty: every figure needs its ${column}. Fill in the cell.`,
  notPlainNumber: (text: string, suggestion: string | undefined) =>
    `must be a plain number, not the text ${JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text)}. ${suggestion ? `Write ${suggestion}` : 'Write the number in digits, like 1234, 3.5 or -2'}: no thousands separators, units or number words.`,
  notBoolean: (text: string) => `must be true or false (or yes/no, 1/0), not ${JSON.stringify(text)}. Leave it empty for false.`,
  derivedFromMissing: 'is empty but derived_method is given: list the ids of the figures this one is computed from (separated by spaces or ";").',
  derivedMethodMissing: 'is empty but derived_from is given: say how the value is computed from those figures.',
  csvSourceRequired: 'is required: quote the fragment of the source that states this figure, or fill in derived_from and derived_method.',
  csvStatedAndDerived: 'a figure is either stated (source) or derived (derived_from, derived_method), not both: empty one of them.',
  csvUnknownCity: (id: string, known: readonly string[]) =>
    `"${id}" is not a city of this dataset. Use one of the ids in dataset.yaml's \`cities\` (${known.slice(0, 10).join(', ')}${known.length > 10 ? ', …' : ''}) or add the city there.`,
  mixedUnits: (units: readonly string[]) => `mixes units (${units.join(', ')}). A chart compares figures of one unit.`,
  unknownChartSpec: (spec: string, dir: string) =>
    `chart spec "${spec}" does not exist: add ${dir}/${spec}.vl.json or use one of the specs there.`,
  chartUrl: (file: string, at: string) =>
    `${file}: ${at} loads data from a URL or file. Chart data must be inline: remove "url" and let citybrief supply the values.`,
  chartInvalid: (file: string, reason: string) =>
    `${file}: the Vega-Lite spec does not compile: ${reason.replace(/[.\s]+$/, '')}. Correct the spec: https://vega.github.io/vega-lite/docs/ says what each property accepts.`,
  chartNotObject: 'must hold one JSON object, the Vega-Lite spec ({ "mark": …, "encoding": … }). Write the spec as an object.',
  chartEnum: (what: string, value: unknown, allowed: readonly string[]) =>
    `is ${JSON.stringify(value)}, which is not a Vega-Lite ${what}: use one of ${allowed.join(', ')}.`,
  templateMissing: (path: string) => `template ${path} does not exist. Pass --templates with a folder holding briefing.hbs.`,
  unknownHelper: (name: string) => `calls the helper "${name}", which does not exist. Use one of citybrief's helpers (see the README) or remove the call.`,
  unknownPartial: (name: string) => `includes the partial "${name}", which does not exist: add partials/${name}.hbs or remove the include.`,
  templateInvalid: (file: string, reason: string) => `${file}: ${reason}`,
  templateSyntax: (reason: string) =>
    `${reason}. Check the expression that starts here: close each {{ with }} (and {{{ with }}}), end each {{#block}} with its {{/block}}, and put text arguments in quotes.`,
  noBrowser: (tried: readonly string[]) =>
    [
      'no browser could be launched. Tried:',
      ...tried.map((t) => `  - ${t}`),
      'Set CITYBRIEF_CHROME to the path of a Chrome or Chromium executable (or reinstall with `npm ci` to get the bundled one).',
    ].join('\n'),
  uncoveredGlyphs: (city: string, chars: readonly string[]) =>
    `the briefing for "${city}" has characters the bundled fonts lack (${chars.slice(0, 20).join(' ')}${chars.length > 20 ? ' …' : ''}); they may print as boxes.`,
  printTimeout: (what: string, ms: number) => `${what} took longer than ${ms / 1000} s to print and was stopped. Check the document for very long content, or raise the timeout.`,
  printerClosed: 'the printer was closed: the build is stopping.',
  browserCrashed: (what: string) => `the browser crashed twice while printing ${what}; it was skipped.`,
  emptyPdf: (path: string) => `the PDF printed for ${path} has no pages; the previous ${path} was kept.`,
  writeFailed: (file: string, reason: string) => `could not write ${file}: ${reason}. Check that the out folder is writable and the disk has room; the previous file was kept.`,
  buildFailed: (failed: number, total: number, lines: readonly string[]) =>
    [`${failed} of ${total} documents failed; the others were written:`, ...lines.map((l) => `  ${l}`), 'Fix what is named and build again: only the missing documents are redone.'].join('\n'),
  buildAborted: (written: number) => `stopped: ${written} document${written === 1 ? '' : 's'} written and kept; the next build continues from there.`,
  printFailed: (city: string, reason: string) => `could not print the briefing for "${city}": ${reason}`,
  blockedRequest: (url: string) => `a document asked for ${url}; citybrief loads nothing from outside the build and refused it`,
} as const;

function article(expected: string): string {
  const words: Record<string, string> = { number: 'a number', string: 'a text', array: 'a list', object: 'a mapping', boolean: 'true or false' };
  return words[expected] ?? expected;
}

/** Words printed in documents. */
export interface Labels {
  readonly keyFigures: string;
  readonly charts: string;
  readonly narrative: string;
  readonly programmes: string;
  readonly commentary: string;
  readonly sources: string;
  readonly sourceArticle: string;
  readonly figureSources: string;
  readonly derivedTag: string;
  readonly derivedNote: string;
  readonly over: string;
  readonly nearly: string;
  readonly yoy: string;
  readonly rankPosition: (n: number) => string;
  readonly rankWithin: (n: number) => string;
  readonly rankListed: string;
  readonly rankUnknown: string;
  readonly unknown: string;
  readonly noFigures: string;
  readonly rankingChartNote: string;
  readonly rankingTruncated: (n: number) => string;
  readonly page: string;
  readonly of: string;
  readonly exact: string;
  readonly period: string;
  readonly generatedFrom: string;
  readonly programmeKinds: Readonly<Record<string, string>>;
  readonly overview: string;
  readonly contents: string;
  readonly comparison: string;
  readonly comparisonNote: string;
  readonly ranks: string;
  readonly city: string;
  readonly rank: string;
  readonly fullBriefing: string;
  readonly summaries: string;
  readonly periodsDiffer: string;
  readonly highlights: string;
  readonly slides: string;
}

const zhHant: Labels = {
  keyFigures: '重點數據',
  charts: '數據圖表',
  narrative: '年度工作',
  programmes: '重點項目與舉措',
  commentary: '點評',
  sources: '資料來源',
  sourceArticle: '原文',
  figureSources: '數據出處',
  derivedTag: '推算',
  derivedNote: '標「推算」者並非原文所載,而是由原文數字計算得出。',
  over: '逾',
  nearly: '近',
  yoy: '同比',
  rankPosition: (n) => `第${n}位`,
  rankWithin: (n) => `前${n}位`,
  rankListed: '上榜',
  rankUnknown: '未載明',
  unknown: '未載明',
  noFigures: '原文未載明本市的量化數據。',
  rankingChartNote: '僅列原文載明的名次與授權量;「未載明」表示原文沒有提供,不代表為零。',
  rankingTruncated: (n) => `另有${n}個城市未列出。`,
  page: '第',
  of: '頁,共',
  exact: '精確值',
  period: '期間',
  generatedFrom: '本簡報由 citybrief 依據下列原文生成;每個數字皆可追溯至原文語句。',
  programmeKinds: { programme: '試點項目', award: '獎項', policy: '政策', designation: '稱號', event: '活動' },
  overview: '總覽',
  contents: '目錄',
  comparison: '城市比較',
  comparisonNote: '每張圖只比較同一指標;同一圖中各城市使用相同刻度。',
  ranks: '原文載明的名次',
  city: '城市',
  rank: '名次',
  fullBriefing: '完整簡報',
  summaries: '各城市摘要',
  periodsDiffer: '各城市數據的期間不同(見標示),比較時請留意。',
  highlights: '亮點',
  slides: '投影片',
};

const zhHans: Labels = {
  ...zhHant,
  keyFigures: '重点数据',
  charts: '数据图表',
  narrative: '年度工作',
  programmes: '重点项目与举措',
  commentary: '点评',
  sources: '资料来源',
  sourceArticle: '原文',
  figureSources: '数据出处',
  derivedTag: '推算',
  derivedNote: '标「推算」者并非原文所载,而是由原文数字计算得出。',
  over: '逾',
  nearly: '近',
  yoy: '同比',
  rankListed: '上榜',
  rankUnknown: '未载明',
  unknown: '未载明',
  noFigures: '原文未载明本市的量化数据。',
  rankingChartNote: '仅列原文载明的名次与授权量;「未载明」表示原文没有提供,不代表为零。',
  rankingTruncated: (n) => `另有${n}个城市未列出。`,
  page: '第',
  of: '页,共',
  exact: '精确值',
  period: '期间',
  generatedFrom: '本简报由 citybrief 依据下列原文生成;每个数字皆可追溯至原文语句。',
  programmeKinds: { programme: '试点项目', award: '奖项', policy: '政策', designation: '称号', event: '活动' },
  overview: '总览',
  contents: '目录',
  comparison: '城市比较',
  comparisonNote: '每张图只比较同一指标;同一图中各城市使用相同刻度。',
  ranks: '原文载明的名次',
  city: '城市',
  rank: '名次',
  fullBriefing: '完整简报',
  summaries: '各城市摘要',
  periodsDiffer: '各城市数据的期间不同(见标示),比较时请留意。',
  highlights: '亮点',
  slides: '演示文稿',
};

const en: Labels = {
  keyFigures: 'Key figures',
  charts: 'Charts',
  narrative: 'The year in review',
  programmes: 'Programmes and initiatives',
  commentary: 'Commentary',
  sources: 'Sources',
  sourceArticle: 'Article',
  figureSources: 'Where each figure is stated',
  derivedTag: 'derived',
  derivedNote: 'Values marked "derived" are not stated in the source; they are computed from figures that are.',
  over: 'over ',
  nearly: 'nearly ',
  yoy: 'YoY',
  rankPosition: (n) => `No. ${n}`,
  rankWithin: (n) => `Top ${n}`,
  rankListed: 'Listed',
  rankUnknown: 'not stated',
  unknown: 'not stated',
  noFigures: 'The source states no figures for this city.',
  rankingChartNote: 'Only ranks and counts stated in the source are shown; "not stated" means the source gives none, not zero.',
  rankingTruncated: (n) => `${n} more cities are not shown.`,
  page: 'Page',
  of: 'of',
  exact: 'exact',
  period: 'Period',
  generatedFrom: 'Generated by citybrief from the source below; every number traces to a sentence of it.',
  programmeKinds: { programme: 'Programme', award: 'Award', policy: 'Policy', designation: 'Designation', event: 'Event' },
  overview: 'Overview',
  contents: 'Contents',
  comparison: 'Comparing cities',
  comparisonNote: 'Each chart compares one metric; all cities in a chart share one scale.',
  ranks: 'Ranks stated in the source',
  city: 'City',
  rank: 'Rank',
  fullBriefing: 'Full briefing',
  summaries: 'City summaries',
  periodsDiffer: 'The cities’ figures cover different periods (as marked); compare with care.',
  highlights: 'Highlights',
  slides: 'Slides',
};

const byLang: Record<string, Labels> = { 'zh-hant': zhHant, 'zh-tw': zhHant, 'zh-hk': zhHant, 'zh-hans': zhHans, 'zh-cn': zhHans, zh: zhHans, en };

/** Labels for a BCP 47 tag: exact match, then the language alone, then English. */
export function labelsFor(lang: string): Labels {
  const tag = lang.toLowerCase();
  return byLang[tag] ?? byLang[tag.split('-')[0] ?? ''] ?? en;
}
