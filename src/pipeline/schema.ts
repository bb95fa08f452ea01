/**
 * The dataset's shape. `dataset.yaml` describes the dataset (language, source,
 * metrics, ranking, city order); `cities/<id>.yaml` (or `<id>.json`) holds one
 * city each; an optional CSV file holds more figures, one per row (csv.ts
 * turns its rows into objects of the Figure shape below).
 *
 * Structural rules live here; rules that span files (a figure's metric exists,
 * a chart names figures of its own city, ids are unique) live in validate.ts.
 * Objects are strict so a misspelt field is reported instead of ignored.
 */
import { z } from 'zod';
import { msg } from '../messages.js';

/** Names Windows reserves for devices: a folder called `con` cannot be created there. */
const RESERVED = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])$/;

/** Lower-case ASCII id, safe as a file name on every platform (ids name the out folders). */
export const Id = z
  .string()
  .regex(/^[a-z0-9](?:[a-z0-9_-]{0,62}[a-z0-9])?$/, {
    message: 'must be lower-case ASCII letters, digits, "-" or "_" (at most 64), starting and ending with a letter or digit',
  })
  .refine((id) => !RESERVED.test(id), { message: 'is a name Windows reserves for a device (con, prn, aux, nul, com1…, lpt1…): choose another id' });

/** BCP 47 language tag such as zh-Hant, zh-Hans or en. */
export const LangTag = z.string().regex(/^[a-zA-Z]{2,3}(?:-[a-zA-Z0-9]{2,8})*$/, {
  message: 'must be a BCP 47 language tag such as zh-Hant, zh-Hans or en',
});

const Text = z.string().trim().min(1, { message: 'must not be empty' });

/** The words a source uses for a value that is not exact, each taken as the qualifier it means. */
export const QUALIFIER_WORDS: Readonly<Record<string, 'over' | 'nearly' | 'about'>> = {
  逾: 'over', 超過: 'over', 超过: 'over', 突破: 'over', 多: 'over',
  近: 'nearly', 將近: 'nearly', 将近: 'nearly', 接近: 'nearly',
  約: 'about', 约: 'about', 大約: 'about', 大约: 'about', 左右: 'about',
};
/** A qualifier, written as its name or as one of the words a source uses for it. */
export const Qualifier = z.preprocess((v) => (typeof v === 'string' && Object.hasOwn(QUALIFIER_WORDS, v.trim()) ? QUALIFIER_WORDS[v.trim()] : v), z.enum(['over', 'nearly', 'about']));

/** A fragment of the source text, quoted exactly. */
const Source = Text;

/** A cell of a workbook beside the dataset: `book.xlsx!Sheet name!C12`. */
export const CELL_REF = /^(.+?\.xlsx)!(.+)!([A-Z]{1,3})([1-9]\d{0,6})$/i;

/** A published source other than the source text: a report, a yearbook's table, a web page. */
const Citation = z.strictObject({
  publication: Text,
  title: Text.optional(),
  /** The table, chart or section the figure is in: 表3-2. */
  table: Text.optional(),
  page: z.union([Text, z.number().int().min(1)]).optional(),
  url: z.string().trim().regex(/^https?:\/\/\S+$/, { message: 'must be a web address starting with http:// or https://' }).optional(),
  /** When it was published or looked at, as it says it: 2022-03-01, 2022年3月. */
  date: Text.optional(),
});

/**
 * Where a figure is stated: the exact fragment of the source text (a quote), a cell of a workbook
 * (`{ cell: book.xlsx!Sheet!C12 }`, checked to hold the value), or another publication
 * (`{ citation: { publication, table, page, url, date } }`).
 */
const FigureSource = z.union([Text, z.strictObject({ cell: z.string().trim().regex(CELL_REF, { message: 'must name a workbook cell: book.xlsx!Sheet!C12' }) }), z.strictObject({ citation: z.union([Citation, Id]) })], {
  message: msg.sourceShapes,
});

const FigureFields = z
  .strictObject({
    /** Unique within the city; charts and derived figures refer to it. */
    id: Id,
    /** Shared across cities when the figures mean the same thing. */
    metric: Id,
    /** Overrides the metric's label for this figure. */
    label: Text.optional(),
    /** Who or what the figure is about when it is not the city itself (e.g. 申報單位, the applicants). */
    subject: Text.optional(),
    value: z.number().finite(),
    /** As the source writes it: 件, 家, 元, %. Money is stored in whole units (元). */
    unit: Text,
    /** "over" for 逾/突破/多/over, "nearly" for 近/nearly, "about" for 约/左右/大约/about: the value is not exact. */
    qualifier: Qualifier.optional(),
    /** Defaults to the dataset's period. */
    period: Text.optional(),
    change: z
      .strictObject({
        value: z.number().finite(),
        unit: z.literal('%'),
        basis: z.literal('yoy'),
      })
      .optional(),
    /** Shown as a key-figure card. */
    key: z.boolean().default(false),
    /** Where the figure is stated: a quote of the source text, a workbook cell, or a citation. */
    source: FigureSource.optional(),
    /** A value computed from other figures, never shown as if stated. */
    derived: z
      .strictObject({
        from: z.array(Id).min(1),
        method: Text,
      })
      .optional(),
  });

/** A figure is stated (quoted from the source) or derived from other figures: one of the two. */
function statedOrDerived(figure: { source?: unknown; derived?: unknown }, ctx: z.RefinementCtx): void {
  if (figure.source === undefined && figure.derived === undefined) {
    ctx.addIssue({ code: 'custom', path: ['source'], message: 'is required: quote the fragment of the source that states this figure, or mark it `derived`' });
  }
  if (figure.source !== undefined && figure.derived !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['derived'], message: 'a figure is either stated (`source`) or derived (`derived`), not both' });
  }
}

export const Figure = FigureFields.superRefine(statedOrDerived);

export const Rank = z.union(
  [
    z.strictObject({ position: z.number().int().min(1), source: Source }),
    z.strictObject({ within: z.number().int().min(1), source: Source }),
    z.strictObject({ listed: z.literal(true), source: Source }),
  ],
  { message: msg.rankShapes },
);

export const Programme = z.strictObject({
  name: Text,
  /** One of the kinds the labels name (programmeKinds): programme, award, policy, designation, event by default. */
  kind: Id,
  source: Source,
});

export const ChartRef = z.strictObject({
  id: Id,
  /** A spec file in the templates' charts/ folder, without `.vl.json`. */
  spec: Id,
  title: Text,
  figures: z.array(Id).min(1),
  note: Text.optional(),
});

export const City = z.strictObject({
  id: Id,
  /** Names by language tag; the dataset's language is required. */
  name: z.record(LangTag, Text),
  aliases: z.array(Text).default([]),
  headline: z.array(Text).min(1).max(4),
  rank: Rank.optional(),
  figures: z.array(Figure).default([]),
  programmes: z.array(Programme).default([]),
  charts: z.array(ChartRef).default([]),
  narrative: z.array(Text).min(1),
  commentary: Text.optional(),
});

/** A field a dataset adds to its cities or figures, declared in dataset.yaml under `fields`. */
export const FieldDeclaration = z.strictObject({
  /** text, number, boolean, image (a file in the project's assets folder) or list (of texts). */
  type: z.enum(['text', 'number', 'boolean', 'image', 'list']),
  /** How documents name the field (the default theme lists a city's fields with their labels). */
  label: Text.optional(),
  /** May a city (or figure) leave it out? Default: no. */
  optional: z.boolean().default(false),
  /** For a number: the unit printed after it (people, km²). */
  unit: Text.optional(),
  /** For a number: group its digits (412,000)? Default: yes; say no for years and codes (1791). */
  grouping: z.boolean().default(true),
});

/** A field name as templates write it: {{city.population}}. */
const FieldName = z.string().regex(/^[a-z][a-zA-Z0-9_]{0,63}$/, { message: 'must start with a lower-case letter and hold only letters, digits and "_" (it is written in templates as city.<name>)' });

export const Fields = z.strictObject({
  city: z.record(FieldName, FieldDeclaration).default({}),
  figure: z.record(FieldName, FieldDeclaration).default({}),
});

/** The built-in fields of a city file and of a figure. */
export const FIELD_NAMES = { city: Object.keys(City.shape), figure: Object.keys(FigureFields.shape) } as const;

/** Names a declared field may not take: the built-in fields, and what the document context adds beside them. */
export const RESERVED_FIELDS = {
  city: ['id', 'name', 'aliases', 'headline', 'rank', 'figures', 'programmes', 'charts', 'narrative', 'commentary', 'otherNames', 'keyFigures', 'hasDerived', 'facts', 'documents', 'anchor', 'fields'],
  figure: ['id', 'metric', 'label', 'subject', 'value', 'unit', 'qualifier', 'period', 'change', 'key', 'source', 'derived', 'display', 'exact', 'derivedMethod', 'derivedFrom', 'note', 'fields'],
} as const;

function fieldSchema(declaration: FieldDeclarationData): z.ZodType {
  const value = { text: Text, number: z.number().finite(), boolean: z.boolean(), image: Text, list: z.array(Text) }[declaration.type];
  return declaration.optional ? value.optional() : value;
}

function declared(fields: Readonly<Record<string, FieldDeclarationData>>): Record<string, z.ZodType> {
  return Object.fromEntries(Object.entries(fields).map(([name, declaration]) => [name, fieldSchema(declaration)]));
}

/** The shape of a city with the dataset's own fields: declared fields are checked like the built-in ones, others are still unknown. */
export function cityShape(fields: FieldsData | undefined) {
  if (!fields || (Object.keys(fields.city).length === 0 && Object.keys(fields.figure).length === 0)) return City;
  return City.extend({ ...declared(fields.city), figures: z.array(FigureFields.extend(declared(fields.figure)).superRefine(statedOrDerived)).default([]) });
}

export const Metric = z.strictObject({
  label: Text,
  description: Text.optional(),
});

export const Dataset = z.strictObject({
  title: Text,
  lang: LangTag,
  /** The period figures refer to unless they say otherwise. */
  period: Text,
  source: z.strictObject({
    title: Text.optional(),
    publication: Text,
    authors: z.array(z.strictObject({ name: Text, role: Text })).default([]),
    /** The source text, relative to the dataset file. */
    file: Text,
    /** How the source is to be credited; printed where the byline is. */
    attribution: Text.optional(),
    /** When the source was published, as it says it: 2014-01-15, 2014年1月15日. */
    date: Text.optional(),
  }),
  ranking: z
    .strictObject({
      metric: Id,
      title: Text,
    })
    .optional(),
  /** The city ids in order, or a table of cities (book.xlsx!Cities, cities.csv): one city per row. */
  cities: z.union([z.array(Id).min(1), Text], { message: 'must list city ids ([a, b]) or name a table of cities (book.xlsx!Cities or cities.csv)' }),
  /** A table of the cities' words (headline, narrative, commentary), beside a table of cities. */
  text: Text.optional(),
  metrics: z.record(Id, Metric),
  /** A CSV file (or a workbook's sheet: book.xlsx!Sheet) of more figures, relative to the dataset file: a `city` column and the Figure fields. */
  figures: Text.optional(),
  /** A CSV file or workbook sheet of series: city, metric, period, value, unit, source, one period per row. */
  series: Text.optional(),
  /** Publications figures cite by id (`citation: yearbook` in a row or a city file). */
  citations: z.record(Id, Citation).default({}),
  /** Fields the dataset adds to its cities and figures. */
  fields: Fields.optional(),
});

export type FigureData = z.infer<typeof Figure>;
export type RankData = z.infer<typeof Rank>;
export type ProgrammeData = z.infer<typeof Programme>;
export type ChartRefData = z.infer<typeof ChartRef>;
export type CityData = z.infer<typeof City>;
/** A dataset as validated: its cities as ids, in order, whether dataset.yaml lists them or a table holds them. */
export type DatasetData = Omit<z.infer<typeof Dataset>, 'cities'> & { readonly cities: readonly string[] };
export type CitationData = z.infer<typeof Citation>;
export type FieldDeclarationData = z.infer<typeof FieldDeclaration>;
export type FieldsData = z.infer<typeof Fields>;

/** How documents name a metric: its label in dataset.yaml, else its id. */
export function metricLabel(dataset: DatasetData, metric: string): string {
  return Object.hasOwn(dataset.metrics, metric) ? dataset.metrics[metric]!.label : metric;
}
