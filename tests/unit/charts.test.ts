import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ChartError, UsageError } from '../../src/errors.js';
import { bundledFonts } from '../../src/fonts.js';
import { msg } from '../../src/messages.js';
import { CHART_CHANNELS, CHART_TIMEOUT_MS, checkSpec, ENCODING_CHANNELS, FIELD_TYPES, labelSvg, loadChartSpecs, MARK_TYPES, MAX_CHART_ROWS, refuseUrls } from '../../src/pipeline/charts.js';

const root = path.resolve(import.meta.dirname, '../..');
const chartsDir = path.join(root, 'templates/charts');
const fonts = bundledFonts();

const temps: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'citybrief-charts-'));
  temps.push(dir);
  return dir;
}
afterAll(async () => {
  await Promise.all(temps.map((dir) => rm(dir, { recursive: true, force: true })));
});

const rows = [
  { label: '專利申請量', series: '專利申請量', group: '2013年', value: 80692, valueText: '8.0692萬件 (+10.3%)', style: 'stated', order: 0 },
  { label: 'PCT國際專利申請量', series: 'PCT國際專利申請量', group: '2013年', value: 10049, valueText: '1.0049萬件 (+25.24%)', style: 'stated', order: 1 },
  { label: '專利申請量(2012年,推算)', series: '推算', group: '2012年', value: 73157, valueText: '7.3157萬件(推算)', style: 'derived', order: 2 },
];

describe('chart specs', () => {
  it('loads the bundled specs', async () => {
    const specs = await loadChartSpecs(chartsDir, fonts);
    expect([...specs.names].sort()).toEqual(['bars', 'grouped-bars', 'line', 'lines', 'ranking', 'stacked-bars']);
    expect(specs.warnings).toEqual([]);
  });

  it('renders SVG in Node with every label and value as text', async () => {
    const specs = await loadChartSpecs(chartsDir, fonts);
    const svg = await specs.render('bars', rows, 'test');
    expect(svg.startsWith('<svg')).toBe(true);
    for (const row of rows) {
      expect(svg).toContain(`>${row.label}<`);
      expect(svg).toContain(`>${row.valueText}<`);
    }
    expect(svg).not.toMatch(/<script|<image|href="http/);
  });

  it('scopes element ids to the chart and restarts them per render', async () => {
    // A clipped mark makes Vega emit a <clipPath id=…> referenced by url(#…).
    const dir = await tempDir();
    await writeFile(path.join(dir, 'clipped.vl.json'), JSON.stringify({
      data: { name: 'table' },
      mark: { type: 'bar', clip: true },
      encoding: { y: { field: 'label', type: 'nominal' }, x: { field: 'value', type: 'quantitative' } },
    }));
    const specs = await loadChartSpecs(dir, fonts);
    await specs.render('clipped', rows, 'other');
    const a = await specs.render('clipped', rows, 'one');
    const b = await specs.render('clipped', rows, 'one');
    expect(a).toBe(b);
    const ids = [...a.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]);
    expect(ids.length).toBeGreaterThan(0);
    for (const id of ids) expect(id).toMatch(/^one-/);
    for (const ref of a.matchAll(/url\(#([^)]+)\)/g)) expect(ids).toContain(ref[1]);
  });

  it('measures CJK text with the bundled font, wider than Vega\'s 0.8 em estimate', async () => {
    const label = '專利申請量(2012年,推算)';
    const measured = fonts.measure(label, 11);
    expect(fonts.measure('專利申請量', 11)).toBeGreaterThan(0.8 * 5 * 11);
    // Full-width ideographs are one em each in Noto Sans TC.
    expect(fonts.measure('專利', 10)).toBeCloseTo(20, 5);
    // The axis leaves room for the longest label: the SVG is wider than plot + label.
    const specs = await loadChartSpecs(chartsDir, fonts);
    const svg = await specs.render('bars', rows, 'w');
    const width = Number(/<svg[^>]*\swidth="([\d.]+)"/.exec(svg)?.[1]);
    expect(width).toBeGreaterThan(160 + measured);
  });

  it('cuts a label longer than its limit, and the chart keeps its size: a 300-character name does not widen it', async () => {
    const specs = await loadChartSpecs(chartsDir, fonts);
    const rows = (label: string) => [
      { label, series: 'A', group: '', value: 100, valueText: '100件', style: 'highlight', order: 0 },
      { label: 'B 第2位', series: 'B', group: '', value: 80, valueText: '80件', style: 'stated', order: 1 },
    ];
    const width = (svg: string) => Number(/<svg[^>]*\swidth="([\d.]+)"/.exec(svg)?.[1]);
    const short = await specs.render('ranking', rows('A 第1位'), 's');
    const long = await specs.render('ranking', rows(`${'長'.repeat(296)} 第1位`), 'l');
    // The ranking spec limits its labels to 130 px: the long one is cut with an ellipsis…
    const label = /<text[^>]*>(長+)…<\/text>/.exec(long)?.[1];
    expect(label, 'the cut label').toBeDefined();
    expect(fonts.measure(`${label}…`, 11)).toBeLessThanOrEqual(130);
    // …and the chart is as wide as with a short label plus at most the limit, not the 3,000 px of the whole name.
    expect(width(long)).toBeLessThanOrEqual(width(short) + 130);
  });

  it('draws unknown values as no bar and an explicit label, never as zero', async () => {
    const specs = await loadChartSpecs(chartsDir, fonts);
    const svg = await specs.render('ranking', [
      { label: 'A 第1位', series: 'A', group: '', value: 100, valueText: '100件', style: 'highlight', order: 0 },
      { label: 'B 未載明', series: 'B', group: '', value: null, valueText: '未載明', style: 'unknown', order: 1 },
    ], 'r');
    expect(svg).toContain('>未載明<');
    // One bar, for the known value only: the unknown row has no bar at all (the bars are the paths of the rect marks).
    const marks = /<g class="mark-rect role-mark[^"]*"[^>]*>([\s\S]*?)<\/g>/.exec(svg)?.[1] ?? '';
    const bars = [...marks.matchAll(/<path\b[^>]*\sfill="([^"]*)"/g)].map((m) => m[1]);
    expect(bars).toHaveLength(1);
    // …drawn in the highlight colour of the known row, A's.
    expect(bars[0]).toBe('#b03a2e');
  });
});

describe('a chart for a screen reader', () => {
  it('carries none of Vega\'s per-mark descriptions, though a spec or the theme asks for them', async () => {
    const dir = await tempDir();
    await cp(chartsDir, dir, { recursive: true });
    const theme = JSON.parse(await readFile(path.join(dir, 'theme.json'), 'utf8')) as Record<string, unknown>;
    await writeFile(path.join(dir, 'theme.json'), JSON.stringify({ ...theme, aria: true }));
    const bars = JSON.parse(await readFile(path.join(dir, 'bars.vl.json'), 'utf8')) as Record<string, unknown>;
    await writeFile(path.join(dir, 'bars.vl.json'), JSON.stringify({ ...bars, config: { aria: true } }));
    const specs = await loadChartSpecs(dir, fonts);
    for (const name of ['bars', 'ranking']) {
      const svg = await specs.render(name, rows, name);
      expect(svg, name).not.toMatch(/aria-label=/);
      expect(svg, name).not.toMatch(/value: |label: /);
    }
  });

  it('is one image whose name is its alt text: role="img" and aria-label on the SVG root, escaped', async () => {
    const specs = await loadChartSpecs(chartsDir, fonts);
    const svg = await specs.render('bars', rows, 'alt');
    const alt = '深圳 <專利> & "申請"：8萬件';
    const labelled = labelSvg(svg, alt);
    const root = /^<svg\b[^>]*>/.exec(labelled)![0];
    expect(root).toContain(' role="img"');
    expect(root).toContain(' aria-label="深圳 &lt;專利&gt; &amp; &quot;申請&quot;：8萬件"');
    // The rest of the chart is as drawn, and the root keeps its size.
    expect(labelled.slice(root.length)).toBe(svg.slice(/^<svg\b[^>]*>/.exec(svg)![0].length));
    expect(root).toMatch(/\swidth="[\d.]+"/);
    // Labelled again (a chart shown twice), it has one name, the new one.
    const twice = labelSvg(labelled, 'other');
    expect([.../^<svg\b[^>]*>/.exec(twice)![0].matchAll(/aria-label=|role=/g)]).toHaveLength(2);
    expect(twice).toContain('aria-label="other"');
  });
});

describe('chart data comes inline only', () => {
  it('refuses every url in a spec, naming where', () => {
    const found = (spec: unknown) => {
      const where: string[] = [];
      refuseUrls(spec, (fieldPath, message) => where.push(`${fieldPath.join('.')}: ${message}`));
      return where;
    };
    expect(found({ data: { url: 'https://example.com/x.csv' } })).toEqual([`data.url: ${msg.chartUrl}`]);
    expect(found({ layer: [{ mark: 'image', encoding: { url: { value: 'file:///etc/passwd' } } }], projection: { url: 'x' } })).toEqual([`layer.0.encoding.url: ${msg.chartUrl}`, `projection.url: ${msg.chartUrl}`]);
    expect(found({ data: { name: 'table' } })).toEqual([]);
  });

  it('rejects a spec file with data.url when the specs are loaded', async () => {
    const dir = await tempDir();
    await cp(chartsDir, dir, { recursive: true });
    await writeFile(path.join(dir, 'remote.vl.json'), JSON.stringify({ data: { url: 'http://127.0.0.1:9/data.json' }, mark: 'bar' }));
    await writeFile(path.join(dir, 'remote.vl.json'), JSON.stringify({ data: { url: 'http://127.0.0.1:9/data.json' }, mark: 'bar' }, null, 2));
    const error = (await loadChartSpecs(dir, fonts).catch((e: unknown) => e)) as ChartError;
    expect(error).toBeInstanceOf(ChartError);
    expect(error.problems).toEqual([{ file: path.join(dir, 'remote.vl.json'), line: 3, column: 5, field: 'data.url', message: msg.chartUrl }]);
  });

});

describe('broken chart files: one ChartError naming the file, line, column and field, and what to do', () => {
  /** The ChartError loading `dir` rejects with. */
  async function chartError(dir: string): Promise<ChartError> {
    const error = await loadChartSpecs(dir, fonts).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ChartError);
    expect((error as ChartError).exitCode).toBe(2);
    return error as ChartError;
  }

  /** `file:line:column` of the `nth` (0-based) occurrence of `needle` in `text`. */
  const where = (file: string, text: string, needle: string, nth = 0) => {
    let index = -1;
    for (let i = 0; i <= nth; i++) index = text.indexOf(needle, index + 1);
    expect(index, needle).not.toBe(-1);
    const before = text.slice(0, index).split('\n');
    return `${file}:${before.length}:${before.at(-1)!.length + 1}`;
  };

  /** A charts folder holding `file` with `text`. */
  async function folderWith(file: string, text: string): Promise<string> {
    const dir = await tempDir();
    await writeFile(path.join(dir, file), text);
    return dir;
  }

  const spec = (mark: string, type: string) =>
    `{\n  "data": { "name": "table" },\n  "mark": ${mark},\n  "encoding": {\n    "x": { "field": "label", "type": "nominal" },\n    "y": { "field": "value", "type": ${type} }\n  }\n}\n`;

  it('a spec cut short: line and column, not a character offset', async () => {
    const dir = await folderWith('broken.vl.json', '{\n  "mark": "bar",\n  "encoding": { "x": { "fie');
    const { message } = await chartError(dir);
    expect(message).toMatch(new RegExp(`^${escape(path.join(dir, 'broken.vl.json'))}:3:\\d+: `));
    const [prefix = '', suffix = ''] = msg.jsonSyntax('\u0000').split('\u0000');
    const text = message.slice(message.indexOf(': ') + 2);
    expect(text.startsWith(prefix) && text.endsWith(suffix)).toBe(true);
    expect(message).not.toMatch(/position \d+/);
  });

  it('a key given twice, which JSON.parse would let pass: at the second key, with its field', async () => {
    const text = spec('"bar"', '"quantitative"').replace('\n}\n', ',\n  "mark": "point"\n}\n');
    const dir = await folderWith('twice.vl.json', text);
    const { message } = await chartError(dir);
    expect(message).toBe(`${where(path.join(dir, 'twice.vl.json'), text, '"mark"', 1)} mark: ${msg.duplicateKey('JSON')}`);
  });

  it('a key given twice in theme.json is found as well', async () => {
    const text = '{\n  "background": "white",\n  "axis": { "labelFontSize": 10, "labelFontSize": 12 }\n}\n';
    const dir = await folderWith('theme.json', text);
    await writeFile(path.join(dir, 'bars.vl.json'), spec('"bar"', '"quantitative"'));
    const { message } = await chartError(dir);
    expect(message).toBe(`${where(path.join(dir, 'theme.json'), text, '"labelFontSize"', 1)} axis.labelFontSize: ${msg.duplicateKey('JSON')}`);
  });

  it('a misspelt field type: at its value, named by its JSON path, with the types Vega-Lite knows', async () => {
    const text = spec('"bar"', '"quantitive"');
    const dir = await folderWith('bars.vl.json', text);
    const { message } = await chartError(dir);
    expect(message).toBe(`${where(path.join(dir, 'bars.vl.json'), text, '"quantitive"')} encoding.y.type: ${msg.chartEnum('field type', 'quantitive', FIELD_TYPES)}`);
    expect(message).not.toContain('undefined');
  });

  it('an unknown mark type, written as a string or as { "type": … }, also inside a layer', async () => {
    const text = spec('"column"', '"quantitative"');
    const plain = await folderWith('bars.vl.json', text);
    expect((await chartError(plain)).message).toBe(`${where(path.join(plain, 'bars.vl.json'), text, '"column"')} mark: ${msg.chartEnum('mark type', 'column', MARK_TYPES)}`);
    const layered = await folderWith('layers.vl.json', JSON.stringify({ data: { name: 'table' }, layer: [{ mark: 'bar' }, { mark: { type: 'txt' } }] }, null, 2));
    expect((await chartError(layered)).message).toMatch(/layers\.vl\.json:\d+:\d+ layer\[1\]\.mark\.type: is "txt", which is not a Vega-Lite mark type: use one of arc, /);
  });

  it('checks field types in channel lists and conditions, and accepts every valid type and mark', () => {
    const failures: string[] = [];
    const fail = (fieldPath: PropertyKey[]) => void failures.push(fieldPath.join('.'));
    checkSpec({ mark: 'bar', encoding: { tooltip: [{ field: 'a', type: 'nominal' }, { field: 'b', type: 'number' }], color: { condition: { param: 'p', field: 'c', type: 'nominl' }, value: 'grey' } } }, fail);
    expect(failures).toEqual(['encoding.tooltip.1.type', 'encoding.color.condition.type']);
    failures.length = 0;
    for (const mark of MARK_TYPES) for (const type of FIELD_TYPES) checkSpec({ mark: { type: mark }, encoding: { x: { field: 'a', type } } }, fail);
    checkSpec({ repeat: ['a'], spec: { hconcat: [{ mark: 'bar' }, { vconcat: [{ mark: 'point' }] }] } }, fail);
    expect(failures).toEqual([]);
  });

  it('knows the same mark and field types as the JSON schema of the installed Vega-Lite', async () => {
    const schemaFile = createRequire(import.meta.url).resolve('vega-lite/vega-lite-schema.json');
    const { definitions } = JSON.parse(await readFile(schemaFile, 'utf8')) as { definitions: Record<string, { enum?: string[]; const?: string }> };
    expect([...FIELD_TYPES].sort()).toEqual([...definitions.Type!.enum!].sort());
    const composite = ['BoxPlot', 'ErrorBar', 'ErrorBand'].map((name) => definitions[name]!.const!);
    expect([...MARK_TYPES].sort()).toEqual([...definitions.Mark!.enum!, ...composite].sort());
  });

  it('a file that holds no object: says so at line 1', async () => {
    const dir = await folderWith('list.vl.json', '[]\n');
    expect((await chartError(dir)).message).toBe(`${path.join(dir, 'list.vl.json')}:1:1: ${msg.chartNotObject}`);
  });

  it('any other compile error: the file, Vega-Lite\'s reason, and what to do', async () => {
    const dir = await folderWith('nothing.vl.json', '{ "data": { "name": "table" } }\n');
    const { message } = await chartError(dir);
    expect(message.startsWith(`${path.join(dir, 'nothing.vl.json')}: the Vega-Lite spec does not compile: Invalid specification`)).toBe(true);
    expect(message.endsWith('Correct the spec: https://vega.github.io/vega-lite/docs/ says what each property accepts.')).toBe(true);
  });
});

describe('links and channels: a spec uses only the channels a printed chart can draw', () => {
  /** Every failure checkSpec reports for `spec`: field path, message, and whether it points at the key. */
  const failures = (spec: unknown) => {
    const found: { at: string; message: string; atKey?: boolean }[] = [];
    checkSpec(spec, (fieldPath, message, atKey) => void found.push({ at: fieldPath.join('.'), message, atKey }));
    return found;
  };
  const bars = { mark: 'bar', encoding: { x: { field: 'value', type: 'quantitative' } } };

  it('refuses href as a channel, at its key, saying what to use instead, in every view', () => {
    const href = { field: 'label', type: 'nominal' };
    expect(failures({ ...bars, encoding: { ...bars.encoding, href } })).toEqual([{ at: 'encoding.href', message: msg.chartHref, atKey: true }]);
    expect(failures({ layer: [bars, { mark: 'text', encoding: { href: { value: 'https://example.com/' } } }] })).toEqual([{ at: 'layer.1.encoding.href', message: msg.chartHref, atKey: true }]);
    expect(failures({ facet: { field: 'group' }, spec: { layer: [{ ...bars, encoding: { href } }] } })).toEqual([{ at: 'spec.layer.0.encoding.href', message: msg.chartHref, atKey: true }]);
    expect(failures({ repeat: ['value'], spec: { hconcat: [{ ...bars, encoding: { href } }] } })).toEqual([{ at: 'spec.hconcat.0.encoding.href', message: msg.chartHref, atKey: true }]);
    expect(msg.chartHref).toContain('"text" channel');
    expect(msg.chartHref).toMatch(/tooltip would not print/);
  });

  it('refuses href as a mark property or in the config, which link the marks as well', () => {
    expect(failures({ ...bars, mark: { type: 'bar', href: 'https://example.com/' } })).toEqual([{ at: 'mark.href', message: msg.chartHref, atKey: true }]);
    expect(failures({ ...bars, config: { mark: { href: 'https://example.com/' } } })).toEqual([{ at: 'config.mark.href', message: msg.chartHref, atKey: true }]);
  });

  it('refuses a channel Vega-Lite does not know, with the channels a chart may use, and accepts each of those', () => {
    expect(failures({ ...bars, encoding: { ...bars.encoding, colour: { field: 'style', type: 'nominal' } } })).toEqual([
      { at: 'encoding.colour', message: msg.chartEnum('encoding channel', 'colour', CHART_CHANNELS), atKey: true },
    ]);
    expect(failures({ vconcat: [{ layer: [{ mark: 'bar', encoding: { Y: { field: 'value' } } }] }] }).map((f) => f.at)).toEqual(['vconcat.0.layer.0.encoding.Y']);
    expect(CHART_CHANNELS).not.toContain('href');
    expect(CHART_CHANNELS).not.toContain('url');
    for (const channel of CHART_CHANNELS) expect(failures({ mark: 'bar', encoding: { [channel]: { field: 'value', type: 'quantitative' } } }), channel).toEqual([]);
  });

  it('knows the same channels as the JSON schema of the installed Vega-Lite', async () => {
    const schemaFile = createRequire(import.meta.url).resolve('vega-lite/vega-lite-schema.json');
    const { definitions } = JSON.parse(await readFile(schemaFile, 'utf8')) as { definitions: Record<string, { properties?: Record<string, unknown> }> };
    expect([...ENCODING_CHANNELS].sort()).toEqual(Object.keys(definitions.FacetedEncoding!.properties!).sort());
  });

  it('reports an href channel in a spec file at its line and column, and one in theme.json too', async () => {
    const dir = await tempDir();
    const text = JSON.stringify({ data: { name: 'table' }, layer: [{ ...bars }, { mark: 'text', encoding: { text: { field: 'label' }, href: { field: 'label', type: 'nominal' } } }] }, null, 2);
    await writeFile(path.join(dir, 'linked.vl.json'), text);
    const error = await loadChartSpecs(dir, fonts).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChartError);
    const before = text.slice(0, text.indexOf('"href"')).split('\n');
    expect((error as Error).message).toBe(`${path.join(dir, 'linked.vl.json')}:${before.length}:${before.at(-1)!.length + 1} layer[1].encoding.href: ${msg.chartHref}`);

    const themed = await tempDir();
    await cp(chartsDir, themed, { recursive: true });
    await writeFile(path.join(themed, 'theme.json'), '{\n  "mark": { "href": "https://example.com/" }\n}\n');
    await expect(loadChartSpecs(themed, fonts)).rejects.toThrow(`${path.join(themed, 'theme.json')}:2:13 mark.href: ${msg.chartHref}`);
  });
});

describe('drawing a chart: every failure is a ChartError naming the spec file and the chart', () => {
  it('an error inside Vega while drawing (which Vega only logs, and draws an empty chart)', async () => {
    const dir = await tempDir();
    await writeFile(path.join(dir, 'calc.vl.json'), JSON.stringify({
      data: { name: 'table' },
      transform: [{ calculate: "indexof(datum.missing, 'a')", as: 'i' }],
      mark: 'bar',
      encoding: { y: { field: 'label', type: 'nominal' }, x: { field: 'i', type: 'quantitative' } },
    }));
    const specs = await loadChartSpecs(dir, fonts);
    const error = await specs.render('calc', rows, 'chart-patents', 'alpha: patents').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChartError);
    expect((error as ChartError).exitCode).toBe(2);
    const [before = '', after = ''] = msg.chartRenderFailed(path.join(dir, 'calc.vl.json'), 'alpha: patents', '\u0000').split('\u0000');
    const { message } = error as Error;
    expect(message.startsWith(before) && message.endsWith(after), message).toBe(true);
    expect(message).toContain("reading 'indexOf'");
    expect(message).not.toMatch(/\n\s+at /);
    expect((error as Error).cause).toBeInstanceOf(TypeError);
  });

  it('a value that cannot be handed to the drawing thread; the chart is named by its id prefix when not named', async () => {
    await using specs = await loadChartSpecs(chartsDir, fonts);
    const bad = { toString: () => 'a label' };
    const error = await specs.render('bars', [{ ...rows[0], label: bad }], 'chart-x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChartError);
    const [before = '', after = ''] = msg.chartRenderFailed(path.join(chartsDir, 'bars.vl.json'), 'chart-x', '\u0000').split('\u0000');
    const { message } = error as Error;
    expect(message.startsWith(before) && message.endsWith(after), message).toBe(true);
    expect(message).toContain('could not be cloned');
    // The next chart draws as before.
    await using again = await loadChartSpecs(chartsDir, fonts);
    expect(await specs.render('bars', rows, 'test')).toBe(await again.render('bars', rows, 'test'));
  });
});

describe('limits on the work of one chart', () => {
  const many = (n: number) => Array.from({ length: n }, (_, i) => ({ label: `城市${i}`, series: 'A', group: '', value: i, valueText: `${i}件`, style: 'stated', order: i }));

  it('by default 10,000 rows and 10 s per chart', async () => {
    expect(MAX_CHART_ROWS).toBe(10_000);
    expect(CHART_TIMEOUT_MS).toBe(10_000);
    const specs = await loadChartSpecs(chartsDir, fonts);
    await expect(specs.render('bars', many(10_001), 'big', 'overview: big')).rejects.toThrow(
      new ChartError(msg.chartTooManyRows(path.join(chartsDir, 'bars.vl.json'), 'overview: big', 10_001, 10_000)),
    );
    expect(msg.chartTooManyRows('f', 'c', 10_001, 10_000)).toContain('10,001 rows, and a chart draws at most 10,000');
  });

  it('a chart with more rows than the limit is refused before drawing; one at the limit is drawn', async () => {
    const specs = await loadChartSpecs(chartsDir, fonts, { maxRows: 3 });
    expect(await specs.render('bars', rows, 'ok')).toMatch(/^<svg/);
    const error = await specs.render('bars', many(4), 'chart-big').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChartError);
    expect((error as Error).message).toBe(msg.chartTooManyRows(path.join(chartsDir, 'bars.vl.json'), 'chart-big', 4, 3));
    expect((error as Error).message).toMatch(/raise the limit \(--max-chart-rows N, maxChartRows in citybrief\.config\.yaml, or the maxChartRows option\)/);
  });

  it('a chart that takes longer than the time limit is stopped with a ChartError; the next one is drawn', async () => {
    const specs = await loadChartSpecs(chartsDir, fonts, { timeoutMs: 1 });
    const error = await specs.render('bars', many(2_000), 'chart-slow', 'alpha: slow').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChartError);
    expect((error as Error).message).toBe(msg.chartTooSlow(path.join(chartsDir, 'bars.vl.json'), 'alpha: slow', 1));
    expect((error as Error).message).toMatch(/raise the limit \(--chart-timeout SECONDS, chartTimeout in citybrief\.config\.yaml, or the chartTimeout option in milliseconds\)/);
    const roomy = await loadChartSpecs(chartsDir, fonts, { timeoutMs: 60_000 });
    expect(await roomy.render('bars', rows, 'test')).toMatch(/^<svg/);
  });

  /** A spec whose one expression backtracks for minutes: Vega computes it in one synchronous step. */
  async function backtracking(): Promise<string> {
    const dir = await tempDir();
    await cp(chartsDir, dir, { recursive: true });
    await writeFile(path.join(dir, 'slow.vl.json'), JSON.stringify({
      data: { name: 'table' },
      transform: [{ calculate: "test(regexp('^(a+)+$'), 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!')", as: 'hit' }],
      mark: 'bar',
      encoding: { y: { field: 'label', type: 'nominal' }, x: { field: 'value', type: 'quantitative' } },
    }));
    return dir;
  }

  it('a chart that computes past its time in one step is stopped at the limit; the next chart is drawn', async () => {
    const dir = await backtracking();
    // 3 s: the chart after it is the first of a fresh thread, slower than the others on a loaded machine.
    await using specs = await loadChartSpecs(dir, fonts, { timeoutMs: 3_000 });
    const started = performance.now();
    const error = await specs.render('slow', rows, 'chart-slow', 'alpha: slow').catch((e: unknown) => e);
    const took = performance.now() - started;
    expect((error as Error).message).toBe(msg.chartTooSlow(path.join(dir, 'slow.vl.json'), 'alpha: slow', 3_000));
    expect(error).toBeInstanceOf(ChartError);
    // Stopped at its limit, not when the expression ends (minutes later). The margin is for a loaded machine.
    expect(took).toBeLessThan(10_000);
    await using fresh = await loadChartSpecs(chartsDir, fonts);
    expect(await specs.render('bars', rows, 'test')).toBe(await fresh.render('bars', rows, 'test'));
  });

  it('a stopped signal ends a chart that is computing, at once, and refuses the later ones', async () => {
    const dir = await backtracking();
    const controller = new AbortController();
    await using specs = await loadChartSpecs(dir, fonts, { signal: controller.signal, timeoutMs: 600_000 });
    const drawing = specs.render('slow', rows, 'chart-slow');
    const later = specs.render('bars', rows, 'chart-bars');
    setTimeout(() => controller.abort(new Error('stopped by the test')), 300);
    const started = performance.now();
    await expect(drawing).rejects.toThrow('stopped by the test');
    expect(performance.now() - started).toBeLessThan(3_000);
    await expect(later).rejects.toThrow('stopped by the test');
  });

  it('refuses a limit that is not a whole number of at least 1', async () => {
    await expect(loadChartSpecs(chartsDir, fonts, { timeoutMs: 0 })).rejects.toThrow(new UsageError(msg.notPositive('timeoutMs', 0)));
    await expect(loadChartSpecs(chartsDir, fonts, { maxRows: 2.5 })).rejects.toThrow(new UsageError(msg.notPositive('maxRows', 2.5)));
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
