/**
 * The kinds of document a templates folder makes: one per top-level *.hbs
 * file, named after it. A template may open with YAML front matter that
 * declares its kind:
 *
 *   ---
 *   per: city            # city: one document per city; all: one for all cities
 *   page: Letter         # A3 A4 A5 B5 Letter Legal Tabloid [landscape], 16:9, 4:3, or a CSS size "210mm 99mm"
 *   output: "{city}/factsheet"   # where in out/ (.pdf and .html are added); {city} is the city id
 *   boxes: box           # what a data-fit box is called in warnings: slide, page or box
 *   ---
 *
 * Everything has a default: per city, the page size the stylesheets set (A4
 * where they set none), output {city}/<kind> (per city) or <kind> (all).
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { formatProblem, TemplateError, UsageError, type Problem } from '../errors.js';
import { msg } from '../messages.js';
import { fieldName, locate, parseYaml } from './load.js';
import { Id } from './schema.js';
import { checkShape } from './validate.js';

export interface KindSpec {
  /** The template's file name without .hbs. */
  readonly name: string;
  /** Absolute path of the template. */
  readonly file: string;
  readonly per: 'city' | 'all';
  /** The CSS page size to print on, or undefined to leave it to the stylesheets. */
  readonly page: string | undefined;
  /** Output path below out/ without extension; per city it holds {city}. */
  readonly output: string;
  readonly boxes: 'slide' | 'page' | 'box';
  /** The template's text with its front matter replaced by a comment of as many lines (line numbers stay true). */
  readonly source: string;
}

/** Named page sizes, as CSS writes them; slides are 16:9 (or 4:3) at 7.5 in high, as presentation programs make them. */
const PAGE_SIZES: Readonly<Record<string, string>> = {
  a3: 'A3',
  a4: 'A4',
  a5: 'A5',
  b4: 'B4',
  b5: 'B5',
  letter: 'letter',
  legal: 'legal',
  tabloid: '11in 17in',
  ledger: 'ledger',
  // 13⅓ × 7.5 in, written as the default theme's slides.css writes it, so the two agree to the hundredth of a millimetre.
  '16:9': '338.67mm 190.5mm',
  '16:10': '304.8mm 190.5mm',
  '4:3': '254mm 190.5mm',
};
const LENGTH = /^(?:\d+(?:\.\d+)?|\.\d+)(?:mm|cm|in|pt|pc|px|q)$/i;

/** The CSS size for a page setting, or undefined when it is none citybrief knows. */
export function pageSize(value: string): string | undefined {
  const words = value.trim().toLowerCase().split(/\s+/);
  const orientation = words.at(-1) === 'landscape' || words.at(-1) === 'portrait' ? words.pop() : undefined;
  const named = PAGE_SIZES[words.join(' ')];
  if (named) return orientation ? `${named} ${orientation}` : named;
  if (!orientation && words.length === 2 && words.every((w) => LENGTH.test(w))) return words.join(' ');
  return undefined;
}

const FrontMatter = z.strictObject({
  per: z.enum(['city', 'all']).default('city'),
  page: z
    .string()
    .superRefine((value, ctx) => {
      if (pageSize(value) === undefined) ctx.addIssue({ code: 'custom', message: msg.badPageSize(value, Object.keys(PAGE_SIZES)) });
    })
    .optional(),
  output: z
    .string()
    .regex(/^(?:[a-z0-9_-]+|\{city\})(?:\/(?:[a-z0-9_-]+|\{city\}))*$/, {
      message: 'must be a path of lower-case names and {city}, separated by "/", without an extension: e.g. "{city}/factsheet" or "overview"',
    })
    .optional(),
  boxes: z.enum(['slide', 'page', 'box']).default('box'),
});

/** Names out/ uses for itself: no output may start with them. */
const RESERVED_OUTPUTS = new Set(['fonts', 'assets', '.citybrief', 'manifest']);

/**
 * Every kind in the folder, sorted by name, front matter checked. Problems
 * (bad front matter, an unusable name, two kinds writing one file) are
 * reported together, located, as one TemplateError.
 */
export async function readKinds(dir: string, cwd: string): Promise<KindSpec[]> {
  const shown = (p: string) => path.relative(cwd, p) || p;
  const files = (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.hbs')).sort();
  const problems: Problem[] = [];
  const kinds: KindSpec[] = [];
  for (const file of files) {
    const full = path.join(dir, file);
    const name = file.slice(0, -4);
    if (!Id.safeParse(name).success) {
      problems.push({ file: shown(full), message: msg.badKindName(name) });
      continue;
    }
    const text = await readFile(full, 'utf8');
    const front = /^---[ \t]*\r?\n([\s\S]*?)\r?\n---[ \t]*(?:\r?\n|$)/.exec(text);
    const source = front ? `{{!--${'\n'.repeat(front[0].split('\n').length - 1)}--}}${text.slice(front[0].length)}` : text;
    // The front matter's lines are the file's lines 2…: parse it with a line of padding so positions match.
    const parsed = front ? parseYaml(shown(full), `\n${front[1]}`, problems, 'YAML') : undefined;
    const settings = parsed ? checkShape(FrontMatter, { ...parsed, shown: shown(full), value: parsed.value ?? {} }, problems) : FrontMatter.parse({});
    if (!settings) continue;
    const output = settings.output ?? (settings.per === 'city' ? `{city}/${name}` : name);
    const at = (field: string) => (parsed ? { ...locate({ ...parsed, shown: shown(full) }, [field]), field: fieldName([field]) } : { file: shown(full) });
    const cities = output.split('{city}').length - 1;
    if (settings.per === 'city' && cities !== 1) problems.push({ ...at('output'), message: msg.outputNeedsCity(output) });
    else if (settings.per === 'all' && cities > 0) problems.push({ ...at('output'), message: msg.outputHasCity(output) });
    else if (RESERVED_OUTPUTS.has(output.split('/')[0]!)) problems.push({ ...at('output'), message: msg.outputReserved(output, [...RESERVED_OUTPUTS]) });
    else {
      const twin = kinds.find((k) => k.output === output);
      if (twin) problems.push({ ...at('output'), message: msg.outputTwice(output, twin.name) });
    }
    kinds.push({ name, file: full, per: settings.per, page: settings.page === undefined ? undefined : pageSize(settings.page), output, boxes: settings.boxes, source });
  }
  if (problems.length > 0) throw new TemplateError(problems.map(formatProblem).join('\n'), { problems });
  return kinds;
}

/** The kinds a build makes: those asked for (checked against the folder's), else every one; per-city kinds first. */
export function selectKinds(all: readonly KindSpec[], asked: readonly string[] | undefined, templatesDir: string): KindSpec[] {
  for (const name of asked ?? []) {
    if (!all.some((k) => k.name === name)) throw new UsageError(msg.unknownKind(name, all.map((k) => k.name), templatesDir));
  }
  const chosen = asked ? all.filter((k) => asked.includes(k.name)) : [...all];
  return [...chosen.filter((k) => k.per === 'city'), ...chosen.filter((k) => k.per === 'all')];
}
