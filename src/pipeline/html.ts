/**
 * Stage 5 — html: one Handlebars environment per build, with the templates'
 * partials and citybrief's helpers, compiled once. Each document is rendered
 * from its context with its chart SVGs inlined; the @font-face rules name only
 * the font subsets the document's text needs.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type HandlebarsNS from 'handlebars';

/** A parsed template (the global `hbs` namespace of Handlebars' typings). */
type Program = ReturnType<typeof HandlebarsNS.parse>;
import { TemplateError } from '../errors.js';
import { compactNumber, exactNumber, percent, withUnit } from '../format.js';
import { msg } from '../messages.js';
import type { Kind } from '../config.js';
import type { FontFace, FontSet } from '../fonts.js';

const FONT_FACES_MARK = '/*citybrief:font-faces*/';


export interface Templates {
  /**
   * Render a document of `kind` from `data` (a context with chart SVGs
   * attached). `fontBase` is the fonts folder relative to the document,
   * e.g. `../fonts/` for out/<city>/briefing.html.
   */
  render(kind: Kind, data: object, fontBase: string): RenderedHtml;
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
}

/**
 * Compile the templates of the requested kinds, the partials, and read every
 * stylesheet of the folder (`theme.css` becomes `styles.theme`).
 */
export async function loadTemplates(dir: string, fonts: FontSet, kinds: readonly Kind[]): Promise<Templates> {
  const { default: Handlebars } = await import('handlebars');
  const hbs = Handlebars.create();
  registerHelpers(hbs);

  const trees = new Map<string, Program>();
  const partialsDir = path.join(dir, 'partials');
  const partialFiles = (await readdir(partialsDir).catch(() => [] as string[])).filter((f) => f.endsWith('.hbs')).sort();
  for (const file of partialFiles) {
    const full = path.join(partialsDir, file);
    const { ast, template } = compile(hbs, await readFile(full, 'utf8'), full);
    trees.set(full, ast);
    hbs.registerPartial(file.slice(0, -4), template);
  }

  const styles: Record<string, string> = {};
  for (const file of (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.css')).sort()) {
    styles[file.slice(0, -4)] = await readFile(path.join(dir, file), 'utf8');
  }

  const compiled = new Map<Kind, { file: string; template: HandlebarsNS.TemplateDelegate }>();
  for (const kind of kinds) {
    const file = path.join(dir, `${kind}.hbs`);
    const source = await readFile(file, 'utf8').catch(() => {
      throw new TemplateError(msg.templateMissing(file));
    });
    const { ast, template } = compile(hbs, source, file);
    trees.set(file, ast);
    compiled.set(kind, { file, template });
  }
  for (const [file, ast] of trees) checkNames(hbs, ast, file);

  return {
    render(kind, data, fontBase) {
      const entry = compiled.get(kind);
      if (!entry) throw new TemplateError(msg.templateMissing(path.join(dir, `${kind}.hbs`)));
      let html: string;
      try {
        html = entry.template({ ...data, styles, fontFaces: FONT_FACES_MARK });
      } catch (error) {
        throw new TemplateError(msg.templateInvalid(entry.file, (error as Error).message), { cause: error });
      }
      const { faces: used, missing } = fonts.scan(html);
      // Stylesheets set type with var(--citybrief-fonts): the bundled families in the order the language prefers.
      const stack = `:root{--citybrief-fonts:${fonts.stack};}`;
      return { html: html.replace(FONT_FACES_MARK, `${fonts.css(used, fontBase)}\n${stack}`), print: html.replace(FONT_FACES_MARK, stack), fonts: used, missing };
    },
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
 * while this synchronous parse runs. The lexer reports unrecognized text
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
function checkNames(hbs: typeof HandlebarsNS, ast: Program, file: string): void {
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
    if ((node.type === 'PartialStatement' || node.type === 'PartialBlockStatement') && (node.name as Node | undefined)?.type === 'PathExpression') {
      const partial = String((node.name as { original: unknown }).original);
      if (!Object.hasOwn(partials, partial) && node.type === 'PartialStatement') fail(node, msg.unknownPartial(partial));
    }
    for (const [key, child] of Object.entries(node)) if (key !== 'loc' && key !== 'strip') visit(child);
  };
  visit(ast);
}

function registerHelpers(hbs: typeof HandlebarsNS): void {
  const lang = (options: HandlebarsNS.HelperOptions) => String(options.data?.root?.lang ?? 'en');
  hbs.registerHelper({
    // Helper names shadow context fields in Handlebars, so none is named like a field (unit, exact, …).
    /** {{compactNumber 80692}} → 8.0692萬 */
    compactNumber: (value: number, options: HandlebarsNS.HelperOptions) => compactNumber(value, lang(options)),
    /** {{exactNumber 80692}} → 80,692 */
    exactNumber: (value: number, options: HandlebarsNS.HelperOptions) => exactNumber(value, lang(options)),
    /** {{percent 10.3 signed=true}} → +10.3% */
    percent: (value: number, options: HandlebarsNS.HelperOptions) => percent(value, lang(options), Boolean(options.hash?.signed)),
    /** {{withUnit 80692 "件"}} → 8.0692萬件 */
    withUnit: (value: number, unit: string, options: HandlebarsNS.HelperOptions) => withUnit(value, unit, lang(options)),
    join: (list: unknown, separator: unknown) => (Array.isArray(list) ? list.join(typeof separator === 'string' ? separator : ', ') : ''),
    eq: (a: unknown, b: unknown) => a === b,
    /** {{#each (chunk items 6)}} — a list cut into groups, e.g. cards per slide. */
    chunk: (list: unknown, size: unknown) => {
      const items = Array.isArray(list) ? list : [];
      const n = Math.max(1, Number(size) || 1);
      return Array.from({ length: Math.ceil(items.length / n) }, (_, i) => items.slice(i * n, i * n + n));
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
    /** A CSS string literal from its arguments, safe inside <style>. */
    cssString: (...args: unknown[]) => {
      const parts = args.slice(0, -1).map(String).join('');
      return `"${parts.replace(/[\\"<>\n\r]/g, (c) => `\\${c.codePointAt(0)!.toString(16)} `)}"`;
    },
  });
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
