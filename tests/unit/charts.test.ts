import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ChartError } from '../../src/errors.js';
import { bundledFonts } from '../../src/fonts.js';
import { msg } from '../../src/messages.js';
import { loadChartSpecs, refuseUrls } from '../../src/pipeline/charts.js';

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
    expect([...specs.names].sort()).toEqual(['bars', 'grouped-bars', 'ranking']);
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

  it('draws unknown values as no bar and an explicit label, never as zero', async () => {
    const specs = await loadChartSpecs(chartsDir, fonts);
    const svg = await specs.render('ranking', [
      { label: 'A 第1位', series: 'A', group: '', value: 100, valueText: '100件', style: 'highlight', order: 0 },
      { label: 'B 未載明', series: 'B', group: '', value: null, valueText: '未載明', style: 'unknown', order: 1 },
    ], 'r');
    expect(svg).toContain('>未載明<');
    // One bar, for the known value only: the unknown row has no bar at all.
    const bars = [...svg.matchAll(/<path aria-label="([^"]*)"[^>]*aria-roledescription="bar"/g)].map((m) => m[1]);
    expect(bars).toHaveLength(1);
    expect(bars[0]).toContain('label: A');
  });
});

describe('chart data comes inline only', () => {
  it('refuses any url in a spec, naming where', () => {
    expect(() => refuseUrls({ data: { url: 'https://example.com/x.csv' } }, 'x.vl.json')).toThrow(new ChartError(msg.chartUrl('x.vl.json', 'data.url')));
    expect(() => refuseUrls({ layer: [{ mark: 'image', encoding: { url: { value: 'file:///etc/passwd' } } }] }, 'y.vl.json')).toThrow(msg.chartUrl('y.vl.json', 'layer[0].encoding.url'));
    expect(() => refuseUrls({ data: { name: 'table' } }, 'z.vl.json')).not.toThrow();
  });

  it('rejects a spec file with data.url when the specs are loaded', async () => {
    const dir = await tempDir();
    await cp(chartsDir, dir, { recursive: true });
    await writeFile(path.join(dir, 'remote.vl.json'), JSON.stringify({ data: { url: 'http://127.0.0.1:9/data.json' }, mark: 'bar' }));
    await expect(loadChartSpecs(dir, fonts)).rejects.toThrow(msg.chartUrl('remote.vl.json', 'data.url'));
  });

  it('reports a spec that does not compile, naming the file', async () => {
    const dir = await tempDir();
    await writeFile(path.join(dir, 'broken.vl.json'), '{ "mark": "bar", ');
    await expect(loadChartSpecs(dir, fonts)).rejects.toThrow(/broken\.vl\.json/);
  });
});
