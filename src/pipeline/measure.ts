/**
 * Part of stage 7 — print: lay a document out in pages before it prints, fit
 * it to its page budget, and report what a reader would see wrong.
 *
 * Runs in the page, after the document is swapped in and its fonts are
 * loaded. Chromium lays out pages only while it prints, and the DOM cannot
 * see that layout; but the same block-fragmentation engine lays out CSS
 * columns. So the body is turned, for a moment, into columns exactly one page
 * content box wide and tall, and each column is one printed page: which page
 * an element falls on, how far down each page is filled, where a heading ends
 * up, with the document's own break rules (break-inside, break-after) applied
 * as print applies them.
 *
 * The budget: no page of a document longer than one page is less than
 * `fill` full (the last one included), and no box the size of a page (a
 * slide) uses less than `boxFill` of its area unless it says it may
 * (`data-fill="any"`, a title slide). A document over its budget is laid out
 * again at the steps of a ladder the theme defines (`html[data-tighten]`:
 * 1, 2, 3 tighter — spacing, chart size, leading; −1, −2 looser), and prints
 * at the first step that keeps to the budget, else as it was. A theme that
 * defines no steps simply prints as it is.
 *
 * What it reports, per page and element: a page or slide under its budget, a
 * box whose content is cut off (`data-fit`), a heading or caption left at a
 * page's foot without what follows it, a number broken from its unit (or
 * across lines), a chart label drawn outside its chart.
 */

export type LayoutProblem =
  | { readonly kind: 'fill'; readonly page: number; readonly share: number; readonly element: string }
  | { readonly kind: 'sparse'; readonly page: number; readonly share: number; readonly element: string }
  | { readonly kind: 'overflow'; readonly page: number; readonly element: string }
  | { readonly kind: 'alone'; readonly page: number; readonly element: string }
  | { readonly kind: 'split'; readonly page: number; readonly element: string; readonly text: string }
  | { readonly kind: 'clipped'; readonly page: number; readonly element: string; readonly text: string };

export interface Layout {
  /** Pages as laid out (the printed PDF has as many). */
  readonly pages: number;
  /** The ladder step the document prints at: 0 as written, > 0 tightened, < 0 loosened. */
  readonly step: number;
  /** How far down each page is filled (0–1), or null for a page that is one box (a slide). */
  readonly fill: readonly (number | null)[];
  readonly problems: readonly LayoutProblem[];
}

export interface Budget {
  /** Least share of a page's height a page of a longer document fills (0.4). */
  readonly fill: number;
  /** Least share of its area a page-sized box's content spans (0.35). */
  readonly boxFill: number;
  /** The ladder, in the order tried. */
  readonly steps: readonly number[];
  /**
   * Documents with more elements than this are printed unmeasured. Measuring lays the document out
   * again, up to six times, and walks every element: on a document of thousands of pages that would
   * hold its page (and the pages sharing its renderer) for longer than printing it does.
   */
  readonly maxElements: number;
}

export const BUDGET: Budget = { fill: 0.4, boxFill: 0.35, steps: [1, 2, 3, -1, -2], maxElements: 20_000 };

/** layOut's source, evaluated in the page. */
export const LAY_OUT = `(${layOut.toString()})`;

/**
 * Runs in the page (through DevTools; page scripts stay off): everything it
 * needs is inside it.
 */
export function layOut(budget: Budget): Layout {
  const root = document.documentElement;
  const body = document.body;
  if (body.getElementsByTagName('*').length > budget.maxElements) return { pages: 0, step: 0, fill: [], problems: [] };

  // The page content box, from the document's @page rule (size and margins), in CSS pixels.
  const NAMED: Record<string, [string, string]> = { a3: ['297mm', '420mm'], a4: ['210mm', '297mm'], a5: ['148mm', '210mm'], b4: ['250mm', '353mm'], b5: ['176mm', '250mm'], letter: ['8.5in', '11in'], legal: ['8.5in', '14in'], ledger: ['11in', '17in'] };
  let size: [string, string] = ['210mm', '297mm'];
  const FORCED = new Set(['page', 'left', 'right', 'recto', 'verso', 'always']);
  const forced: string[] = [];
  const margin = { top: '0', right: '0', bottom: '0', left: '0' };
  const rules = (list: CSSRuleList): CSSRule[] => [...list].flatMap((r) => (r instanceof CSSMediaRule ? (r.media.mediaText === '' || matchMedia(r.media.mediaText).matches ? rules(r.cssRules) : []) : [r]));
  for (const sheet of [...document.styleSheets]) {
    let list: CSSRuleList;
    try {
      list = sheet.cssRules;
    } catch {
      continue;
    }
    for (const rule of rules(list)) {
      if (rule instanceof CSSStyleRule) {
        // Columns break only at column breaks: a forced page break becomes one while measuring.
        for (const side of ['before', 'after'] as const)
          if (FORCED.has(rule.style.getPropertyValue(`break-${side}`))) forced.push(`${rule.selectorText} { break-${side}: column !important; }`);
        continue;
      }
      if (!(rule instanceof CSSPageRule) || rule.selectorText) continue;
      const words = rule.style.getPropertyValue('size').trim().toLowerCase().split(/\s+/).filter(Boolean);
      if (words.length > 0) {
        const named = words.find((w) => w in NAMED);
        const lengths = words.filter((w) => /^[\d.]/.test(w));
        if (named) size = words.includes('landscape') ? [NAMED[named]![1], NAMED[named]![0]] : NAMED[named]!;
        else if (lengths.length === 2) size = [lengths[0]!, lengths[1]!];
        else if (lengths.length === 1) size = [lengths[0]!, lengths[0]!];
      }
      for (const side of ['top', 'right', 'bottom', 'left'] as const) {
        const value = rule.style.getPropertyValue(`margin-${side}`);
        if (value) margin[side] = value;
      }
    }
  }
  const probe = document.createElement('div');
  probe.style.cssText = 'position:absolute;visibility:hidden;top:0;left:0';
  body.append(probe);
  const px = (length: string) => {
    probe.style.width = length;
    return probe.getBoundingClientRect().width;
  };
  const width = px(size[0]) - px(margin.left) - px(margin.right);
  const height = px(size[1]) - px(margin.top) - px(margin.bottom);
  probe.remove();
  const GAP = 200;

  const tagName = (el: Element) => el.tagName.toLowerCase();
  const REPLACED = new Set(['img', 'svg', 'canvas', 'video', 'iframe', 'object']);
  const HEADING = 'h1,h2,h3,h4,h5,h6,figcaption,caption,dt';
  /** An element that draws something: text of its own, an image or chart, or a visible background. */
  const draws = (el: Element) => {
    if (REPLACED.has(tagName(el))) return true;
    for (const n of el.childNodes) if (n.nodeType === Node.TEXT_NODE && n.textContent!.trim() !== '') return true;
    const style = getComputedStyle(el);
    return style.backgroundColor !== 'rgba(0, 0, 0, 0)' && style.backgroundColor !== 'transparent';
  };
  /** The elements of `scope` that draw something, an SVG as one (its parts are not laid out as boxes). */
  const drawing = (scope: Element) => [...scope.querySelectorAll('*')].filter((el) => (!el.closest('svg') || tagName(el) === 'svg') && draws(el));
  const describe = (el: Element) => {
    const fit = el.closest<HTMLElement>('[data-fit]')?.dataset.fit;
    const text = (el.textContent ?? '').replace(/\s+/g, ' ').trim();
    const words = text.length > 32 ? `${text.slice(0, 31)}…` : text;
    if (fit && (!words || el.matches('[data-fit]'))) return fit;
    return words || (el.getAttribute('aria-label') ?? tagName(el));
  };

  interface Laid {
    pages: number;
    /** How far down each page is filled, 0–1; NaN for a page that is one page-sized box. */
    fill: number[];
    /** The element lowest on each page. */
    last: (Element | null)[];
    /** Page-sized boxes: their page, the share of their area their content spans, the box. */
    boxes: { page: number; share: number; box: HTMLElement }[];
    /** Every box the size of a page (a slide), whatever its fill. */
    paged: Set<Element>;
    /** Drawing elements in document order, with their first page. */
    drawn: { el: Element; page: number; lastPage: number }[];
    pageOf: (r: DOMRect) => number;
  }

  /** Lay the body out in page-sized columns, read what falls where, and put it back. */
  const paginate = (read: (laid: Laid) => void): Laid => {
    const saved = [root.getAttribute('style'), body.getAttribute('style')] as const;
    const breaks = document.createElement('style');
    breaks.textContent = forced.join('\n');
    document.head.append(breaks);
    root.style.setProperty('width', `${width}px`);
    body.style.cssText += `;columns:${width}px;column-gap:${GAP}px;column-fill:auto;height:${height}px;width:${width}px;margin:0;padding:0;overflow:visible`;
    try {
      const origin = body.getBoundingClientRect();
      const pageOf = (r: DOMRect) => Math.max(0, Math.floor((r.left - origin.left + GAP / 2) / (width + GAP)));
      const fill: number[] = [];
      const last: (Element | null)[] = [];
      const boxes: Laid['boxes'] = [];
      const drawn: Laid['drawn'] = [];
      const boxed = new Set<number>();
      const paged = new Set<Element>();
      for (const box of body.querySelectorAll<HTMLElement>('[data-fit]')) {
        const r = box.getBoundingClientRect();
        if (r.height < height * 0.8 || r.width < width * 0.8) continue;
        const page = pageOf(r);
        boxed.add(page);
        paged.add(box);
        if (box.dataset.fill === 'any') continue;
        let [top, left, bottom, right] = [Infinity, Infinity, -Infinity, -Infinity];
        for (const el of drawing(box)) {
          for (const q of el.getClientRects()) {
            if (q.width === 0 || q.height === 0) continue;
            top = Math.min(top, q.top);
            left = Math.min(left, q.left);
            bottom = Math.max(bottom, Math.min(q.bottom, r.bottom));
            right = Math.max(right, Math.min(q.right, r.right));
          }
        }
        const share = bottom > top ? ((bottom - top) * (right - left)) / (r.width * r.height) : 0;
        boxes.push({ page, share, box });
      }
      for (const el of drawing(body)) {
        let first = -1;
        let end = -1;
        for (const q of el.getClientRects()) {
          if (q.width === 0 && q.height === 0) continue;
          const page = pageOf(q);
          if (first === -1) first = page;
          end = Math.max(end, page);
          const bottom = (q.bottom - origin.top) / height;
          if (!(bottom <= (fill[page] ?? -1))) {
            fill[page] = Math.min(1, bottom);
            last[page] = el;
          }
        }
        if (first !== -1) drawn.push({ el, page: first, lastPage: end });
      }
      const pages = Math.max(fill.length, ...boxes.map((b) => b.page + 1), 1);
      for (let p = 0; p < pages; p++) {
        fill[p] ??= 0;
        last[p] ??= null;
        if (boxed.has(p)) fill[p] = NaN;
      }
      const laid = { pages, fill, last, boxes, paged, drawn, pageOf };
      read(laid);
      return laid;
    } finally {
      const restore = (el: HTMLElement, value: string | null) => (value === null ? el.removeAttribute('style') : el.setAttribute('style', value));
      restore(root, saved[0]);
      restore(body, saved[1]);
      breaks.remove();
    }
  };

  /** Pages of a longer document filled less than the budget, and page-sized boxes spanning less. */
  const underfilled = (laid: Laid) => (laid.pages > 1 ? laid.fill.flatMap((f, p) => (!Number.isNaN(f) && f < budget.fill ? [p] : [])) : []);
  const sparse = (laid: Laid) => laid.boxes.filter((b) => b.share < budget.boxFill);
  const underBudget = (laid: Laid) => underfilled(laid).length > 0 || sparse(laid).length > 0;

  // What a reader would see wrong in a layout, read while it stands.
  let problems: LayoutProblem[] = [];
  const inspect = (final: Laid) => (problems = problemsIn(final));
  // Most documents keep to their budget as written: laid out and read once.
  let laid = paginate(inspect);
  let step = 0;
  if (underBudget(laid)) {
    const first = laid;
    let shorter: { step: number; pages: number } | undefined;
    for (const s of budget.steps) {
      root.dataset.tighten = String(s);
      const next = paginate(() => {});
      if (!underBudget(next)) {
        step = s;
        break;
      }
      if (next.pages < (shorter?.pages ?? first.pages)) shorter = { step: s, pages: next.pages };
    }
    // No step keeps to the budget: one page fewer is still the better document.
    if (step === 0 && shorter) step = shorter.step;
    if (step === 0) delete root.dataset.tighten;
    else root.dataset.tighten = String(step);
    if (step !== 0) laid = paginate(inspect);
  }

  return { pages: laid.pages, step, fill: laid.fill.map((f) => (Number.isNaN(f) ? null : Math.round(f * 100) / 100)), problems };

  function problemsIn(final: Laid): LayoutProblem[] {
    const problems: LayoutProblem[] = [];
    for (const p of underfilled(final)) problems.push({ kind: 'fill', page: p + 1, share: Math.round(final.fill[p]! * 100) / 100, element: final.last[p] ? describe(final.last[p]!) : '' });
    for (const b of sparse(final)) problems.push({ kind: 'sparse', page: b.page + 1, share: Math.round(b.share * 100) / 100, element: describe(b.box) });

    // A heading (or caption) whose next drawn element is on a later page. A slide ends where it ends.
    final.drawn.forEach((d, i) => {
      const heading = d.el.closest(HEADING);
      if (!heading || [...final.paged].some((box) => box.contains(heading))) return;
      const next = final.drawn.slice(i + 1).find((n) => !heading.contains(n.el));
      const own = final.drawn.findLast((n, j) => j <= i + 1 && heading.contains(n.el));
      if (next && own === d && next.page > d.lastPage) problems.push({ kind: 'alone', page: d.lastPage + 1, element: describe(heading) });
    });

    // A number broken across lines, or from the unit written right after it.
    const walker = document.createTreeWalker(body, NodeFilter.SHOW_TEXT);
    // A sign only where it starts the number: in 2024-03-02 the hyphens join, and a line may break after one.
    const NUMBER = /(?:(?<![\p{L}\p{N}])[+\-−])?\d(?:[\d,.\u00a0\u202f]*\d)?(?:%|\p{L})?/gu;
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const text = node.textContent ?? '';
      if (!/\d/.test(text) || node.parentElement?.closest('svg, style, script, title')) continue;
      for (const m of text.matchAll(NUMBER)) {
        if (m[0].length < 2) continue;
        const range = document.createRange();
        range.setStart(node, m.index!);
        range.setEnd(node, m.index! + m[0].length);
        const rects = [...range.getClientRects()];
        if (new Set(rects.filter((r) => r.width > 0).map((r) => Math.round(r.top))).size > 1)
          problems.push({ kind: 'split', page: final.pageOf(rects[0]!) + 1, element: describe(node.parentElement!), text: m[0] });
      }
    }

    // Content larger than its box would be cut off.
    for (const box of body.querySelectorAll<HTMLElement>('[data-fit]'))
      if (box.scrollHeight > box.clientHeight + 1 || box.scrollWidth > box.clientWidth + 1)
        problems.push({ kind: 'overflow', page: final.pageOf(box.getBoundingClientRect()) + 1, element: box.dataset.fit ?? describe(box) });

    // A chart label drawn outside its chart is cut off: an inline SVG clips what overflows it.
    for (const svg of body.querySelectorAll('svg')) {
      if (svg.parentElement?.closest('svg')) continue;
      const box = svg.getBoundingClientRect();
      for (const label of svg.querySelectorAll('text')) {
        const r = label.getBoundingClientRect();
        if (r.width === 0 || !label.textContent?.trim()) continue;
        if (r.left < box.left - 1 || r.right > box.right + 1 || r.top < box.top - 1 || r.bottom > box.bottom + 1) {
          const chart = svg.closest('figure')?.querySelector('figcaption') ?? svg.closest('[data-fit]') ?? svg;
          problems.push({ kind: 'clipped', page: final.pageOf(box) + 1, element: describe(chart), text: label.textContent.trim() });
        }
      }
    }
    return problems;
  }
}
