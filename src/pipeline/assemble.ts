/**
 * One document, from its job to its finished PDF: stages 4–8 for one output.
 *
 *   prepare   its context (4), its charts (5: a city's documents share the SVGs of the
 *             charts they have in common), its HTML (6), and what its PDF says of itself
 *   make      print it (7); a document with a table of contents is printed a second time
 *             with the pages the first print gave its headings; finish the PDF (8)
 *
 * The build (build.ts) decides which documents to make and writes what this returns.
 */
import path from 'node:path';
import type { ResolvedConfig } from '../config.js';
import type { Asset } from '../assets.js';
import { StrictError } from '../errors.js';
import { msg } from '../messages.js';
import type { Stage } from './build.js';
import { labelSvg, type ChartSpecs } from './charts.js';
import { buildOverviewContext, citationLine, contextBuilder, publicationLine, type CityContext } from './context.js';
import { finishPdf, readOutline, type Finished, type PdfMeta } from './finish.js';
import type { RenderedHtml, Templates } from './html.js';
import type { KindSpec } from './kinds.js';
import type { Job } from './plan.js';
import type { Printed, Printer } from './print.js';
import { BUDGET, type Layout } from './measure.js';
import type { Valid } from './validate.js';

export type Timed = <T>(stage: Stage, work: () => Promise<T> | T) => Promise<T>;

/** A document rendered to HTML, ready to print. */
export interface Prepared {
  readonly job: Job;
  readonly rendered: RenderedHtml;
  readonly meta: Omit<PdfMeta, 'dir' | 'epoch' | 'creator' | 'lang' | 'source'>;
  /** Re-render with the pages the first print gave each outline entry (table of contents). */
  readonly repaginate?: (outline: readonly { title: string; page: number }[]) => Promise<RenderedHtml>;
}

/** A document printed and finished: its PDF and the HTML that printed it. */
export interface Made {
  readonly pdf: Finished;
  readonly html: string;
  /** The worker that printed it, for a build printing on workers. */
  readonly by?: string;
  /** Called once the manifest names it (or it failed): the printer lets go of its prints (Printed.release). */
  release(): Promise<void>;
}

export interface Assembler {
  prepare(job: Job): Promise<Prepared>;
  /** Print and finish a prepared document; `assets` are the images it shows, served to the printer. */
  make(prepared: Prepared, assets: readonly Asset[]): Promise<Made>;
}

export function assembler(config: ResolvedConfig, valid: Valid, kinds: readonly KindSpec[], charts: ChartSpecs, templates: Templates, printer: Printer, timed: Timed): Assembler {
  const { dataset, labels } = valid;
  const documents = Object.fromEntries(kinds.filter((k) => k.per === 'city').map((k) => [k.name, k.output]));
  const contexts = contextBuilder(valid, { logo: config.logo, documents }, charts.names);
  const byId = new Map(valid.cities.map((c) => [c.id, c]));
  const author = publicationLine(dataset.source);
  const source = citationLine(dataset.source, labels);
  // A city's documents show the same charts and are planned one after the other: the SVG
  // depends only on the spec, the rows and the id prefix, so the later documents reuse the first's.
  const recent = new Map<string, Promise<string>>();
  const svgOf = (spec: string, rows: readonly object[], prefix: string, name: string) => {
    const key = JSON.stringify([spec, prefix, rows]);
    let svg = recent.get(key);
    if (!svg) {
      svg = charts.render(spec, rows, prefix, name);
      recent.set(key, svg);
      if (recent.size > 16) recent.delete(recent.keys().next().value!);
    }
    return svg;
  };
  const withSvgs = async <T extends { id: string; spec: string; rows: readonly object[]; alt: string }>(list: readonly T[], scope: string, owner: string) => {
    const out: (T & { svg: string })[] = [];
    for (const chart of list) out.push({ ...chart, svg: labelSvg(await svgOf(chart.spec, chart.rows, `${scope}-${chart.id}`, `${owner}: ${chart.id}`), chart.alt) });
    return out;
  };
  // Warnings so far per document: a strict build (--strict) writes none that has any.
  const warned = new Map<string, number>();
  const warn = (job: Job, message: string) => {
    warned.set(job.path, (warned.get(job.path) ?? 0) + 1);
    config.onProgress({ type: 'warning', path: job.pdfPath, message });
  };
  const render = (job: Job, data: object) => {
    const rendered = templates.render(job.kind, data, job.depth, job.path);
    if (rendered.missing.length > 0) warn(job, msg.uncoveredGlyphs(job.path, rendered.missing));
    return rendered;
  };

  /** What the page layout found wrong, as warnings naming the output, the page and the element. */
  const warnLayout = (job: Job, layout: Layout) => {
    const overflows = layout.problems.flatMap((p) => (p.kind === 'overflow' ? [p] : []));
    if (overflows.length > 0) warn(job, msg.overflow(job.pdfPath, job.kind.boxes, overflows));
    for (const problem of layout.problems) if (problem.kind !== 'overflow') warn(job, msg.layout(job.pdfPath, job.kind.boxes, problem, BUDGET));
  };

  async function prepare(job: Job): Promise<Prepared> {
    if (job.city === null) {
      const all: CityContext[] = await timed('context', () => valid.cities.map((c) => contexts.city(c)));
      const overview = await timed('context', () => buildOverviewContext(valid, all, charts.names));
      const data = { ...overview, charts: await timed('charts', () => withSvgs(overview.charts, job.kind.name, job.path)) };
      const toc = [
        ...(overview.charts.length > 0 ? [{ title: labels.words.comparison, anchor: 'comparison' }] : []),
        ...overview.cities.map((c) => ({ title: c.name, anchor: c.anchor, headline: c.headline })),
      ];
      const renderWith = (pages: ReadonlyMap<string, number>) => render(job, { ...data, toc: toc.map((t) => ({ ...t, page: pages.get(t.anchor) ?? '' })) });
      const rendered = await timed('html', () => renderWith(new Map()));
      return {
        job,
        rendered,
        meta: {
          title: titleOf(rendered.html) ?? `${dataset.title} — ${labels.words.overview}`,
          subject: labels.list(overview.cities.map((c) => c.name)),
          author,
          keywords: [dataset.title, ...overview.cities.map((c) => c.name)],
        },
        repaginate: async (outline) => renderWith(tocPages(toc, outline)),
      };
    }
    const city = byId.get(job.city)!;
    const context = await timed('context', () => contexts.city(city));
    const data = { ...context, city: { ...context.city, charts: await timed('charts', () => withSvgs(context.city.charts, 'chart', city.id)) } };
    const rendered = await timed('html', () => render(job, data));
    return {
      job,
      rendered,
      meta: {
        title: titleOf(rendered.html) ?? `${context.city.name} — ${dataset.title}`,
        subject: context.city.headline.join(' · '),
        author,
        keywords: [...new Set([context.city.name, ...context.city.otherNames, ...city.aliases, dataset.title])],
      },
    };
  }

  async function make({ job, rendered: first, meta, repaginate }: Prepared, assets: readonly Asset[]): Promise<Made> {
    const print = (html: RenderedHtml) => timed('print', () => printer.print({ path: job.path, html: html.print, fonts: html.fonts, assets }));
    const prints: Printed[] = [];
    const release = async () => void (await Promise.all(prints.map((p) => p.release?.().catch(() => {}))));
    try {
      let rendered = first;
      let printed = await print(rendered);
      prints.push(printed);
      if (repaginate) {
        // A document that shows where its headings fall (a table of contents) is printed again with the pages the first print gave them.
        const again = await timed('html', async () => repaginate(await readOutline(printed.pdf)));
        if (again.print !== rendered.print) {
          rendered = again;
          printed = await print(rendered);
          prints.push(printed);
        }
      }
      warnLayout(job, printed.layout);
      const warnings = warned.get(job.path) ?? 0;
      warned.delete(job.path);
      if (config.strict && warnings > 0) throw new StrictError(msg.strictDocument(job.pdfPath, warnings));
      const pdf = await timed('finish', () =>
        finishPdf(printed.pdf, { ...meta, lang: dataset.lang, source, creator: config.creator, epoch: config.epoch, dir: path.posix.dirname(job.path).replace(/^\.$/, '') }),
      );
      return { pdf, html: atStep(rendered.html, printed.layout.step), ...(printed.by ? { by: printed.by } : {}), release };
    } catch (error) {
      await release();
      throw error;
    }
  }

  return { prepare, make };
}

/** The HTML as it printed: at the page budget's ladder step the print stage chose (see measure.ts), if any. */
export function atStep(html: string, step: number): string {
  return step === 0 ? html : html.replace(/<html\b/i, `<html data-tighten="${step}"`);
}

/** The text of a document's <title>, which becomes its PDF's title, or undefined when it has none. */
export function titleOf(html: string): string | undefined {
  const m = /<title[^>]*>([\s\S]*?)<\/title\s*>/i.exec(html);
  if (!m) return undefined;
  const text = m[1]!
    .replace(/&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos|#39);/gi, (_, e: string) =>
      e[0] === '#' ? String.fromCodePoint(e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : Number(e.slice(1))) : ({ amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" } as Record<string, string>)[e.toLowerCase()]!,
    )
    .replace(/\s+/g, ' ')
    .trim();
  return text || undefined;
}

/** Page of each table-of-contents entry: the first outline entry with its title, in order. */
function tocPages(toc: readonly { title: string; anchor: string }[], outline: readonly { title: string; page: number }[]): Map<string, number> {
  const pages = new Map<string, number>();
  let from = 0;
  for (const entry of toc) {
    const at = outline.findIndex((o, i) => i >= from && o.title.trim() === entry.title);
    if (at === -1) continue;
    pages.set(entry.anchor, outline[at]!.page);
    from = at + 1;
  }
  return pages;
}
