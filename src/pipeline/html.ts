/**
 * Stage 5 — html: one Handlebars environment per build, with the templates'
 * partials and citybrief's helpers, compiled once. Each document is rendered
 * from its context with its chart SVGs inlined; the @font-face rules name only
 * the font subsets the document's text needs.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import Handlebars from 'handlebars';
import { TemplateError } from '../errors.js';
import { compactNumber, exactNumber, percent, withUnit } from '../format.js';
import { msg } from '../messages.js';
import type { FontFace, FontSet } from '../fonts.js';
import type { CityContext } from './context.js';

/** Where fonts live relative to a document, both when printed and in the out folder. */
export const FONT_URL_BASE = '../fonts/';
const FONT_FACES_MARK = '/*citybrief:font-faces*/';

export interface Templates {
  /** Render a city's briefing; `svgs` maps chart id to its SVG. */
  briefing(context: CityContext, svgs: ReadonlyMap<string, string>): RenderedHtml;
}

export interface RenderedHtml {
  readonly html: string;
  /** Font files the document uses. */
  readonly fonts: readonly FontFace[];
}

export async function loadTemplates(dir: string, fonts: FontSet): Promise<Templates> {
  const hbs = Handlebars.create();
  registerHelpers(hbs);

  const partialsDir = path.join(dir, 'partials');
  const partialFiles = (await readdir(partialsDir).catch(() => [] as string[])).filter((f) => f.endsWith('.hbs'));
  for (const file of partialFiles) {
    const full = path.join(partialsDir, file);
    hbs.registerPartial(file.slice(0, -4), compile(hbs, await readFile(full, 'utf8'), full));
  }

  const briefingPath = path.join(dir, 'briefing.hbs');
  const source = await readFile(briefingPath, 'utf8').catch(() => {
    throw new TemplateError(msg.templateMissing(briefingPath));
  });
  const briefing = compile(hbs, source, briefingPath);
  const theme = await readFile(path.join(dir, 'theme.css'), 'utf8').catch(() => '');

  return {
    briefing(context, svgs) {
      const data = {
        ...context,
        theme,
        fontFaces: FONT_FACES_MARK,
        city: { ...context.city, charts: context.city.charts.map((c) => ({ ...c, svg: svgs.get(c.id) ?? '' })) },
      };
      let html: string;
      try {
        html = briefing(data);
      } catch (error) {
        throw new TemplateError(msg.templateInvalid(briefingPath, (error as Error).message), { cause: error });
      }
      const used = fonts.facesFor(html);
      // The theme sets type with var(--citybrief-fonts): the bundled families in the order the language prefers.
      const css = `${fonts.css(used, FONT_URL_BASE)}\n:root{--citybrief-fonts:${fonts.stack};}`;
      return { html: html.replace(FONT_FACES_MARK, css), fonts: used };
    },
  };
}

function compile(hbs: typeof Handlebars, source: string, file: string): Handlebars.TemplateDelegate {
  try {
    // Precompile now so syntax errors surface at load time, naming the file.
    hbs.precompile(source);
    return hbs.compile(source);
  } catch (error) {
    throw new TemplateError(msg.templateInvalid(file, (error as Error).message), { cause: error });
  }
}

function registerHelpers(hbs: typeof Handlebars): void {
  const lang = (options: Handlebars.HelperOptions) => String(options.data?.root?.lang ?? 'en');
  hbs.registerHelper({
    // Helper names shadow context fields in Handlebars, so none is named like a field (unit, exact, …).
    /** {{compactNumber 80692}} → 8.0692萬 */
    compactNumber: (value: number, options: Handlebars.HelperOptions) => compactNumber(value, lang(options)),
    /** {{exactNumber 80692}} → 80,692 */
    exactNumber: (value: number, options: Handlebars.HelperOptions) => exactNumber(value, lang(options)),
    /** {{percent 10.3 signed=true}} → +10.3% */
    percent: (value: number, options: Handlebars.HelperOptions) => percent(value, lang(options), Boolean(options.hash?.signed)),
    /** {{withUnit 80692 "件"}} → 8.0692萬件 */
    withUnit: (value: number, unit: string, options: Handlebars.HelperOptions) => withUnit(value, unit, lang(options)),
    join: (list: unknown, separator: unknown) => (Array.isArray(list) ? list.join(typeof separator === 'string' ? separator : ', ') : ''),
    eq: (a: unknown, b: unknown) => a === b,
    isNegative: (text: unknown) => typeof text === 'string' && /^[-−]/.test(text),
    /** A CSS string literal from its arguments, safe inside <style>. */
    cssString: (...args: unknown[]) => {
      const parts = args.slice(0, -1).map(String).join('');
      return `"${parts.replace(/[\\"<>\n\r]/g, (c) => `\\${c.codePointAt(0)!.toString(16)} `)}"`;
    },
  });
}
