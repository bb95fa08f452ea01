/**
 * Files cut short, in the wrong encoding, oversized or built to explode:
 * each gives one located message, exit code 2, and leaves earlier outputs
 * untouched.
 */
import { cp, mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { DataError, TemplateError, ChartError } from '../../src/errors.js';
import { validateDataset } from '../../src/index.js';
import { MAX_FILE_BYTES } from '../../src/pipeline/load.js';
import { msg } from '../../src/messages.js';

const root = path.resolve(import.meta.dirname, '../..');
const base = path.join(root, 'tests/fixtures/invalid/duplicate-city');
let work: string;

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'citybrief-broken-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** A valid one-city dataset in a fresh folder, with `city` as the text of cities/alpha.yaml when given. */
async function dataset(name: string, city?: string | Buffer): Promise<string> {
  const dir = path.join(work, name);
  await cp(base, dir, { recursive: true });
  const file = path.join(dir, 'dataset.yaml');
  await writeFile(file, (await readFile(file, 'utf8')).replace('cities: [alpha, alpha]', 'cities: [alpha]'));
  if (city !== undefined) await writeFile(path.join(dir, 'cities', 'alpha.yaml'), city);
  return dir;
}

async function problems(data: string) {
  const error = await validateDataset({ cwd: root, data }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(DataError);
  return (error as DataError).problems;
}

const good = async () => readFile(path.join(base, 'cities', 'alpha.yaml'), 'utf8');

describe('broken data files', () => {
  it('the valid base dataset validates', async () => {
    await expect(validateDataset({ cwd: root, data: await dataset('ok') })).resolves.toBeDefined();
  });

  it('a file cut short mid-value', async () => {
    const text = await good();
    // Cut inside a quoted string of a flow list: `headline: [ "提高`
    const found = await problems(await dataset('truncated', `${text.slice(0, text.indexOf('headline:'))}headline: [ "提高`));
    expect(found.length).toBeGreaterThan(0);
    const [prefix] = msg.yamlSyntax('\u0000').split('\u0000');
    for (const problem of found) {
      expect(problem).toMatchObject({ file: expect.stringContaining('alpha.yaml'), line: expect.any(Number), column: expect.any(Number) });
      expect(problem.message.startsWith(prefix!)).toBe(true);
    }
  });

  it('invalid UTF-8, located by line and column', async () => {
    const text = Buffer.from(await good());
    const at = text.indexOf('narrative');
    const broken = Buffer.concat([text.subarray(0, at), Buffer.from([0xe7, 0x94]), text.subarray(at)]);
    const [problem] = await problems(await dataset('utf8', broken));
    expect(problem!.message).toBe(msg.notUtf8(at));
    expect(problem!.line).toBe(text.subarray(0, at).toString().split('\n').length);
    expect(problem!.column).toBe(1);
  });

  it('a byte-order mark is accepted', async () => {
    await expect(validateDataset({ cwd: root, data: await dataset('bom', `\ufeff${await good()}`) })).resolves.toBeDefined();
  });

  it('an empty file', async () => {
    const [problem] = await problems(await dataset('empty', ''));
    expect(problem).toMatchObject({ line: 1, column: 1, message: msg.wrongType('object', null) });
  });

  it('a 100 MB file is refused without being read', async () => {
    const dir = await dataset('huge');
    await truncate(path.join(dir, 'cities', 'alpha.yaml'), 100 * 1024 * 1024);
    const [problem] = await problems(dir);
    expect(problem!.message).toBe(msg.tooLarge(100 * 1024 * 1024, MAX_FILE_BYTES));
  });

  it('a YAML alias bomb', async () => {
    const lines = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 9; i++) lines.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10).fill(`*${String.fromCharCode(96 + i)}`).join(',')}]`);
    const [problem] = await problems(await dataset('bomb', `${lines.join('\n')}\n`));
    expect(problem!.message.startsWith(msg.yamlAliases('\u0000').split('\u0000')[0]!)).toBe(true);
  });
});

describe('broken templates and chart specs', () => {
  it('a template with a syntax error names file and line; the build writes nothing', async () => {
    const templates = path.join(work, 'tpl-syntax');
    await cp(path.join(root, 'templates'), templates, { recursive: true });
    await writeFile(path.join(templates, 'partials', 'sources.hbs'), '<section>\n{{#if notes}}\n</section>\n');
    const out = path.join(work, 'tpl-out');
    const lines: string[] = [];
    const code = await main(['build', '--templates', templates, '--out', out], { out: (t) => lines.push(t), err: (t) => lines.push(t) });
    expect(code).toBe(2);
    expect(lines.join('')).toMatch(/partials[\\/]sources\.hbs: Parse error on line \d+/);
    await expect(readFile(path.join(out, 'manifest.json'))).rejects.toThrow();
  });

  it('a chart spec that does not compile is a ChartError naming the file', async () => {
    const templates = path.join(work, 'tpl-chart');
    await cp(path.join(root, 'templates'), templates, { recursive: true });
    await writeFile(path.join(templates, 'charts', 'bars.vl.json'), '{"mark": "bar", "encoding": {"x": {"field": "value", "type": "no-such-type"}}}');
    const { build } = await import('../../src/index.js');
    const error = await build({ cwd: root, templates, out: path.join(work, 'chart-out') }).catch((e: unknown) => e);
    expect(error instanceof ChartError || error instanceof TemplateError).toBe(true);
    expect((error as Error).message).toContain('bars.vl.json');
  });
});
