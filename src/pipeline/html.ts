/**
 * Stage 6 — html: one Handlebars environment per build, with the templates'
 * partials, citybrief's helpers and the project's own (helpers.mjs), compiled
 * once. Each document is rendered from its context with its chart SVGs
 * inlined; the @font-face rules name only the font subsets the document's
 * text needs, and a kind that declares its page size gets it.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type HandlebarsNS from 'handlebars';
import { assetUrl } from '../assets.js';
import { TemplateError } from '../errors.js';
import { compactNumber, exactNumber, percent, withUnit } from '../format.js';
import type { Labels, LabelKey } from '../labels.js';
import { msg } from '../messages.js';
import type { FontFace, FontSet } from '../fonts.js';
import type { KindSpec } from './kinds.js';

/** A parsed template (the global `hbs` namespace of Handlebars' typings). */
type Program = ReturnType<typeof HandlebarsNS.parse>;

const FONT_FACES_MARK = '/*citybrief:font-faces*/';

/** A project's helpers: the first of these files in its templates folder. */
export const HELPER_MODULES = ['helpers.mjs', 'helpers.js'];

export interface TemplateOptions {
  readonly labels: Labels;
  /** What is wrong with an image name (the end of a message), or undefined when it is a usable image. */
  readonly assetProblem: (name: string) => string | undefined;
  /** How the working directory shows paths in messages. */
  readonly shown: (file: string) => string;
}

export interface Templates {
  /**
   * Render a document of `kind` from `data` (a context with chart SVGs
   * attached). `depth` is how many folders below the out folder the
   * document is: links, images and fonts are relative to it. `name` names
   * the document in messages.
   */
  render(kind: KindSpec, data: object, depth: number, name?: string): RenderedHtml;
}

export interface RenderedHtml {
  /** The document as written to the out folder: it declares its fonts with @font-face. */
  readonly html: string;
  /** The same document for printing: the printer supplies the fonts, so it declares none. */
  readonly print: string;
  /** Font files the document uses. */
  readonly fonts: readonly FontFace[];
  /** Characters no bundled font has. */
  readonly missing: readonly string[];
  /** Images the document shows (names in the assets folder). */
  readonly assets: readonly string[];
}

/** What helpers know about the document being rendered (Handlebars' private data, @citybrief). */
interface RenderState {
  readonly depth: number;
  readonly assets: Set<string>;
}

/** A helper threw: where it was called (the file is added by the template or partial it was called in). */
class HelperFailure extends Error {
  file: string | undefined;
  constructor(
    readonly helper: string,
    readonly at: { line: number; column: number } | undefined,
    readonly reason: string,
  ) {
    super(reason);
  }
}

function located(file: string, at: { line: number; column: number } | undefined): string {
  return at ? `${file}:${at.line}:${at.column + 1}` : file;
}

/**
 * Compile the templates of the requested kinds, the partials, the project's
 * helpers, and read every stylesheet of the folder (`theme.css` becomes
 * `styles.theme`).
 */
export async function loadTemplates(dir: string, fonts: FontSet, kinds: readonly KindSpec[], options: TemplateOptions): Promise<Templates> {
  const { default: Handlebars } = await import('handlebars');
  const hbs = Handlebars.create();
  registerHelpers(hbs, options, fonts);
  await registerProjectHelpers(hbs, dir, options.shown);

  const trees = new Map<string, Program>();
  const partialsDir = path.join(dir, 'partials');
  const partialFiles = (await readdir(partialsDir, { recursive: true }).catch(() => [] as string[])).filter((f) => f.endsWith('.hbs')).sort();
  for (const file of partialFiles) {
    const full = path.join(partialsDir, file);
    const { ast, template } = compile(hbs, await readFile(full, 'utf8'), options.shown(full));
    trees.set(full, ast);
    // A helper failing inside the partial is located in the partial's file.
    hbs.registerPartial(file.slice(0, -4).split(path.sep).join('/'), ((context: unknown, opts: HandlebarsNS.RuntimeOptions) => {
      try {
        return template(context, opts);
      } catch (error) {
        if (error instanceof HelperFailure) error.file ??= options.shown(full);
        throw error;
      }
    }) as unknown as HandlebarsNS.Template);
  }

  const styles: Record<string, string> = {};
  for (const file of (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.css')).sort()) {
    styles[file.slice(0, -4)] = await readFile(path.join(dir, file), 'utf8');
  }

  const compiled = new Map<string, { file: string; template: HandlebarsNS.TemplateDelegate }>();
  for (const kind of kinds) {
    const { ast, template } = compile(hbs, kind.source, options.shown(kind.file));
    trees.set(kind.file, ast);
    compiled.set(kind.name, { file: options.shown(kind.file), template });
  }
  for (const [file, ast] of trees) checkNames(hbs, ast, options.shown(file), options.assetProblem);

  return {
    render(kind, data, depth, name = kind.name) {
      const entry = compiled.get(kind.name);
      if (!entry) throw new TemplateError(msg.templateMissing(kind.file));
      const state: RenderState = { depth, assets: new Set() };
      let html: string;
      try {
        html = entry.template({ ...data, styles, fontFaces: FONT_FACES_MARK }, { data: { citybrief: state } });
      } catch (error) {
        if (error instanceof HelperFailure) throw new TemplateError(msg.templateInvalid(located(error.file ?? entry.file, error.at), msg.helperThrew(error.helper, error.reason, name)));
        throw new TemplateError(msg.templateInvalid(entry.file, (error as Error).message), { cause: error });
      }
      // A kind that declares its page size gets it after the stylesheets, so it wins over theirs.
      if (kind.page) html = withPageSize(html, kind.page);
      const { faces: used, missing } = fonts.scan(html);
      // Stylesheets set type with var(--citybrief-fonts): the bundled families in the order the language prefers.
      const stack = `:root{--citybrief-fonts:${fonts.stack};}`;
      const fontBase = `${'../'.repeat(depth)}fonts/`;
      return {
        html: html.replace(FONT_FACES_MARK, `${fonts.css(used, fontBase)}\n${stack}`),
        print: html.replace(FONT_FACES_MARK, stack),
        fonts: used,
        missing,
        assets: [...state.assets].sort(),
      };
    },
  };
}

/** The document with `@page { size }` as the last rule of its head (or its first, where it has no head end). */
function withPageSize(html: string, size: string): string {
  const rule = `<style>@page{size:${size};}</style>`;
  const end = html.search(/<\/head\s*>/i);
  return end === -1 ? `${rule}${html}` : `${html.slice(0, end)}${rule}${html.slice(end)}`;
}

/**
 * The project's own helpers: the functions helpers.mjs (or helpers.js) in the templates folder
 * exports, each named after its export (a default export may be an object of them). A project's
 * helpers are code the project trusts; what the data holds reaches them as arguments only.
 */
async function registerProjectHelpers(hbs: typeof HandlebarsNS, dir: string, shown: (file: string) => string): Promise<void> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const name = HELPER_MODULES.find((m) => names.includes(m));
  if (!name) return;
  const file = path.join(dir, name);
  let module: Record<string, unknown>;
  try {
    // The URL carries the file's hash: a long-running process (watch) loads the module again when it changes.
    const version = createHash('sha256').update(await readFile(file)).digest('hex').slice(0, 16);
    module = (await import(`${pathToFileURL(file).href}?v=${version}`)) as Record<string, unknown>;
  } catch (error) {
    throw new TemplateError(msg.templateInvalid(shown(file), msg.helpersModule((error as Error).message.split('\n')[0] ?? String(error))), { cause: error });
  }
  const exported = { ...(module.default && typeof module.default === 'object' ? (module.default as Record<string, unknown>) : {}), ...module };
  delete exported.default;
  for (const [helper, fn] of Object.entries(exported)) {
    if (typeof fn !== 'function') throw new TemplateError(msg.templateInvalid(shown(file), msg.helperNotFunction(helper, fn === null ? 'null' : typeof fn)));
    hbs.registerHelper(helper, guarded(helper, fn as (...args: unknown[]) => unknown));
  }
}

/** A helper whose failure names the helper and where it was called. */
function guarded(name: string, fn: (...args: unknown[]) => unknown): HandlebarsNS.HelperDelegate {
  return function (this: unknown, ...args: unknown[]) {
    try {
      return fn.apply(this, args);
    } catch (error) {
      if (error instanceof HelperFailure) throw error;
      const options = args.at(-1) as { loc?: { start: { line: number; column: number } } } | undefined;
      throw new HelperFailure(name, options?.loc?.start, error instanceof Error ? error.message : String(error));
    }
  };
}

/** Parse once; the syntax tree serves the compile-time check, the name check and the template. */
function compile(hbs: typeof HandlebarsNS, source: string, file: string): { ast: Program; template: HandlebarsNS.TemplateDelegate } {
  try {
    const ast = parse(hbs, source);
    // Precompile now so compile errors surface at load time, naming the file.
    hbs.precompile(ast);
    return { ast, template: hbs.compile(ast) };
  } catch (error) {
    const { line, column, reason } = syntaxError(error as SyntaxFailure);
    const at = line === undefined ? '' : `:${line}${column === undefined ? '' : `:${column}`}`;
    // Located, the parser's own message (an excerpt with a caret, and every token it would have taken)
    // says nothing more: it is not kept as the cause, which the CLI would print below.
    throw new TemplateError(msg.templateInvalid(`${file}${at}`, msg.templateSyntax(reason)), line === undefined ? { cause: error } : undefined);
  }
}

/** What Handlebars' parser knows about a syntax error, kept on the error by `parse`. */
interface ParseHash {
  /** The text of the token the parser could not take, and its name (e.g. "INVALID", "CLOSE", "EOF"). */
  readonly text?: string;
  readonly token?: string | number | null;
  /** Where the parser stood: the last token it took (lines 1-based, columns 0-based). */
  readonly loc?: Place;
}
type Place = { readonly first_line: number; readonly first_column: number };

type SyntaxFailure = Error & { hash?: ParseHash; lexed?: Place; lineNumber?: number; column?: number };

/**
 * Handlebars' generated parser hands the place of a syntax error to
 * `parseError(message, hash)` as `hash.loc`, and its default `parseError`
 * throws an Error without it: the place survives only as an excerpt with a
 * caret inside the message. Keep the hash on the error instead. The parser is
 * one object shared by every Handlebars instance, so the hook is set only
 * while this synchronous parse runs (as Handlebars itself sets the parser's
 * `yy` for each parse): no other build, or Handlebars instance, can see it.
 * Upstream: https://github.com/handlebars-lang/handlebars.js/issues/1173. The lexer reports unrecognized text
 * through the same hook without a place: its position then is where the text
 * starts.
 */
function parse(hbs: typeof HandlebarsNS, source: string): Program {
  type Parser = { parseError?: (message: string, hash: ParseHash) => never; lexer?: { yylloc?: Place } };
  const parser = (hbs as unknown as { Parser: Parser }).Parser;
  const own = Object.getOwnPropertyDescriptor(parser, 'parseError');
  parser.parseError = (message, hash) => {
    throw Object.assign(new Error(message), { hash, lexed: hash?.loc ? undefined : parser.lexer?.yylloc });
  };
  try {
    return hbs.parse(source);
  } finally {
    if (own) Object.defineProperty(parser, 'parseError', own);
    else delete parser.parseError;
  }
}

/** The place (1-based line and column) of a parse or compile error, and Handlebars' reason in a few words. */
function syntaxError(error: SyntaxFailure): { line?: number; column?: number; reason: string } {
  const first = error.message.split('\n')[0] ?? error.message;
  const { hash, lexed } = error;
  if (hash?.loc) {
    const reason = hash.token === 'EOF' ? 'the template ends before an expression or block is closed' : `unexpected "${hash.text ?? ''}"`;
    return { line: hash.loc.first_line, column: hash.loc.first_column + 1, reason: `Parse error: ${reason}` };
  }
  if (first.startsWith('Lexical error')) {
    return { line: lexed?.first_line, column: lexed === undefined ? undefined : lexed.first_column + 1, reason: 'Lexical error: unrecognized text' };
  }
  // Handlebars' own exceptions (e.g. "if doesn't match each - 1:3") carry their place as properties.
  if (typeof error.lineNumber === 'number') {
    return { line: error.lineNumber, column: typeof error.column === 'number' ? error.column + 1 : undefined, reason: first.replace(/ - \d+:\d+$/, '') };
  }
  return { reason: first.replace(/[.\s]+$/, '') };
}

/** Helpers Handlebars itself provides. */
const BUILT_IN = new Set(['if', 'unless', 'each', 'with', 'lookup', 'log', 'blockHelperMissing', 'helperMissing']);

/**
 * A call of a helper or partial that does not exist fails only when a
 * document reaches it. Walk the template once at load instead and name the
 * file, line and column. (A bare {{name}} may be data, so only calls with
 * arguments, blocks and subexpressions are helper calls for certain.)
 */
function checkNames(hbs: typeof HandlebarsNS, ast: Program, file: string, assetProblem: (name: string) => string | undefined): void {
  type Node = { type: string; loc?: { start: { line: number; column: number } }; [key: string]: unknown };
  const helpers = hbs.helpers as Record<string, unknown>;
  const partials = hbs.partials as Record<string, unknown>;
  const fail = (node: Node, message: string) => {
    const at = node.loc ? `:${node.loc.start.line}:${node.loc.start.column + 1}` : '';
    throw new TemplateError(msg.templateInvalid(`${file}${at}`, message));
  };
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) return value.forEach(visit);
    if (!value || typeof value !== 'object') return;
    const node = value as Node;
    const path = node.path as { type?: string; original?: unknown } | undefined;
    const name = path?.type === 'PathExpression' ? String(path.original) : undefined;
    const params = (node.params as unknown[] | undefined) ?? [];
    const called = node.type === 'SubExpression' || node.type === 'BlockStatement' || (node.type === 'MustacheStatement' && (params.length > 0 || node.hash));
    if (called && name && !BUILT_IN.has(name) && !Object.hasOwn(helpers, name)) fail(node, msg.unknownHelper(name));
    // An image named in the template itself is checked now, so a missing one stops the build before anything is written.
    const first = params[0] as { type?: string; value?: unknown } | undefined;
    if (called && name === 'asset' && first?.type === 'StringLiteral') {
      const problem = assetProblem(String(first.value));
      if (problem) fail(node, problem);
    }
    if ((node.type === 'PartialStatement' || node.type === 'PartialBlockStatement') && (node.name as Node | undefined)?.type === 'PathExpression') {
      const partial = String((node.name as { original: unknown }).original);
      if (!Object.hasOwn(partials, partial) && node.type === 'PartialStatement') fail(node, msg.unknownPartial(partial));
    }
    for (const [key, child] of Object.entries(node)) if (key !== 'loc' && key !== 'strip') visit(child);
  };
  visit(ast);
}

function registerHelpers(hbs: typeof HandlebarsNS, config: TemplateOptions, fonts: FontSet): void {
  const lang = (options: HandlebarsNS.HelperOptions) => String(options.data?.root?.lang ?? 'en');
  const state = (options: HandlebarsNS.HelperOptions) => options.data?.citybrief as RenderState;
  const own = {
    /** {{asset "logo.svg"}}, {{asset city.photo}}: the address of an image in the project's assets folder. */
    asset: (name: unknown, options: HandlebarsNS.HelperOptions) => {
      const problem = typeof name === 'string' ? config.assetProblem(name) : msg.assetNotNamed(name);
      if (problem) throw new Error(problem);
      state(options).assets.add(name as string);
      return assetUrl(name as string, state(options).depth);
    },
    /** {{link city.documents.briefing}}: a path below the out folder, as seen from this document. */
    link: (target: unknown, options: HandlebarsNS.HelperOptions) => `${'../'.repeat(state(options).depth)}${String(target ?? '')}`,
    /** {{t "rankingTruncated" n=3}}: a label with its placeholders filled (plural forms chosen by n). */
    t: (key: unknown, options: HandlebarsNS.HelperOptions) => {
      if (typeof key !== 'string' || !Object.hasOwn(config.labels.words, key)) throw new Error(msg.unknownLabelKey(key));
      return config.labels.format(key as LabelKey, options.hash as Record<string, string | number>);
    },
    /** {{list names}}: items joined as the language joins a list (甲、乙和丙; A, B, and C). */
    list: (items: unknown) => (Array.isArray(items) ? config.labels.list(items.map(String)) : ''),
    /**
     * {{keepUnits text}}: the text, each number kept on one line with the unit written right after it
     * (106件, 30.9億元, 12%): a line may otherwise break between them in Chinese or Japanese text.
     */
    keepUnits: (text: unknown) => {
      const raw = typeof text === 'string' ? text : String(text ?? '');
      const escape = hbs.Utils.escapeExpression;
      let html = '';
      let from = 0;
      for (const m of raw.matchAll(NUMBER_WITH_UNIT)) {
        html += `${escape(raw.slice(from, m.index))}<span class="nobreak">${escape(m[0])}</span>`;
        from = m.index + m[0].length;
      }
      return new hbs.SafeString(html + escape(raw.slice(from)));
    },
    /** {{pageFooter}} inside an @page margin box: the pageFooter label as CSS content, with the page counters. */
    pageFooter: () => cssContent(config.labels.words.pageFooter),
  };
  for (const [name, fn] of Object.entries(own)) hbs.registerHelper(name, guarded(name, fn as (...args: unknown[]) => unknown));
  hbs.registerHelper({
    // Helper names shadow context fields in Handlebars, so none is named like a field (unit, exact, …).
    /** {{compactNumber 12345}} → 1.2345萬 */
    compactNumber: (value: number, options: HandlebarsNS.HelperOptions) => compactNumber(value, lang(options)),
    /** {{exactNumber 12345}} → 12,345 */
    exactNumber: (value: number, options: HandlebarsNS.HelperOptions) => exactNumber(value, lang(options)),
    /** {{percent 10.3 signed=true}} → +10.3% */
    percent: (value: number, options: HandlebarsNS.HelperOptions) => percent(value, lang(options), Boolean(options.hash?.signed)),
    /** {{withUnit 12345 "件"}} → 1.2345萬件 */
    withUnit: (value: number, unit: string, options: HandlebarsNS.HelperOptions) => withUnit(value, unit, lang(options)),
    join: (list: unknown, separator: unknown) => (Array.isArray(list) ? list.join(typeof separator === 'string' ? separator : ', ') : ''),
    eq: (a: unknown, b: unknown) => a === b,
    /** {{#each (chunk items 6)}} — a list cut into groups, e.g. cards per slide. */
    chunk: (list: unknown, size: unknown) => {
      const items = Array.isArray(list) ? list : [];
      const n = Math.max(1, Number(size) || 1);
      return Array.from({ length: Math.ceil(items.length / n) }, (_, i) => items.slice(i * n, i * n + n));
    },
    /** {{#each (spread items 4)}} — as few groups of at most n as hold the list, evened out (5 → 3 + 2, not 4 + 1): no slide holds a lone leftover. */
    spread: (list: unknown, size: unknown) => {
      const items = Array.isArray(list) ? list : [];
      const groups = Math.ceil(items.length / Math.max(1, Number(size) || 1));
      const out: unknown[][] = [];
      for (let g = 0, from = 0; g < groups; g++) {
        const to = from + Math.ceil((items.length - from) / (groups - g));
        out.push(items.slice(from, to));
        from = to;
      }
      return out;
    },
    /** {{#each (sentences text 180)}} — text cut at sentence ends into pieces of at most about `max` characters. */
    sentences: (text: unknown, max: unknown) => splitSentences(typeof text === 'string' ? text : '', Number(max) || 200),
    /** {{#if (longer name 12)}} — text longer than n characters (for smaller type on long names). */
    longer: (text: unknown, n: unknown) => typeof text === 'string' && [...text].length > Number(n),
    /** {{abbrev name 24}} — at most n characters, with … when cut (running footers). */
    abbrev: (text: unknown, n: unknown) => {
      const chars = [...(typeof text === 'string' ? text : '')];
      return chars.length > Number(n) ? `${chars.slice(0, Number(n)).join('')}…` : chars.join('');
    },
    /** {{inc @index}} — 1-based numbering. */
    inc: (n: unknown) => Number(n) + 1,
    isNegative: (text: unknown) => typeof text === 'string' && /^[-−]/.test(text),
    /**
     * {{ems display}} — how wide a text is in bold type, in em, measured with the bundled fonts: a
     * stylesheet sizes a value to keep it on one line (`font-size: min(17pt, calc(100cqi / var(--ems)))`).
     */
    ems: (text: unknown) => (Math.ceil(fonts.measure(typeof text === 'string' ? text : String(text ?? ''), 100, 700)) / 100).toFixed(2),
    /** A CSS string literal from its arguments, safe inside <style>. */
    cssString: (...args: unknown[]) => cssString(args.slice(0, -1).map(String).join('')),
  });
}

/** A number (digits with their separators) and the one letter or sign written right after it. */
const NUMBER_WITH_UNIT = /(?:(?<![\p{L}\p{N}])[+\-−])?\d(?:[\d,.]*\d)?(?:%|\p{L})/gu;

/** A CSS string literal, safe inside <style>: quotes, backslashes, markup and line ends escaped. */
function cssString(text: string): string {
  return `"${text.replace(/[\\"<>\n\r\f]/g, (c) => `\\${c.codePointAt(0)!.toString(16)} `)}"`;
}

/** CSS `content` for a label with {page} and {pages}: "Page " counter(page) " of " counter(pages). */
function cssContent(label: string): string {
  return label
    .split(/(\{pages?\})/)
    .filter(Boolean)
    .map((part) => (part === '{page}' ? 'counter(page)' : part === '{pages}' ? 'counter(pages)' : cssString(part)))
    .join(' ');
}

/** Split text after sentence-ending punctuation into pieces of at most `max` characters (a longer sentence stands alone). */
export function splitSentences(text: string, max: number): string[] {
  const sentences = text.match(/[^。！？!?；;]+[。！？!?；;」”]*|[。！？!?；;]+/g) ?? [];
  const pieces: string[] = [];
  let current = '';
  for (const sentence of sentences) {
    if (current && current.length + sentence.length > max) {
      pieces.push(current);
      current = '';
    }
    current += sentence;
  }
  if (current) pieces.push(current);
  return pieces;
}
