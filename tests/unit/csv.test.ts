/**
 * Figures from a CSV file (dataset.yaml's `figures`) and city files in JSON,
 * through `validateDataset`, the CLI, and the plan of an incremental build.
 *
 * Each case is a committed fixture under tests/fixtures/csv/<case>/ (a tiny
 * dataset; its dataset.yaml starts with a `# Fixture:` comment saying what is
 * wrong). Expected lines and columns are looked up in the fixture text, so the
 * assertions say what a problem points at rather than hard-coding numbers.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config.js';
import { DataError } from '../../src/errors.js';
import { fixtureFiles, problemsOf, runCli } from '../helpers/fixtures.js';
import { msg } from '../../src/messages.js';
import { departure } from '../../src/pipeline/quotes.js';
import { validateDataset } from '../../src/pipeline/build.js';
import { listChartSpecs } from '../../src/pipeline/charts.js';
import { COLUMNS, suggestNumber } from '../../src/pipeline/csv.js';
import { load } from '../../src/pipeline/load.js';
import { plan } from '../../src/pipeline/plan.js';
import { knownCities, validationBasis, type State } from '../../src/pipeline/state.js';
import { readKinds } from '../../src/pipeline/kinds.js';
import { validate } from '../../src/pipeline/validate.js';

const root = path.resolve(import.meta.dirname, '../..');
const FIXTURES = 'tests/fixtures/csv';
const fixtureDir = (fixture: string) => path.join(root, FIXTURES, fixture);
const { shown, at } = fixtureFiles(FIXTURES);

const temps: string[] = [];
async function tempDir(name: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `citybrief-csv-${name}-`));
  temps.push(dir);
  return dir;
}
afterAll(async () => {
  await Promise.all(temps.map((dir) => rm(dir, { recursive: true, force: true })));
});

/** A copy of a fixture in a temp folder, with `edit` applied to one of its files. */
async function copyOf(fixture: string, file?: string, edit?: (text: Buffer) => string | Buffer): Promise<string> {
  const dir = path.join(await tempDir(fixture), fixture);
  await cp(fixtureDir(fixture), dir, { recursive: true });
  if (file && edit) await writeFile(path.join(dir, file), edit(await readFile(path.join(dir, file))));
  return dir;
}

const run = runCli;

// ---------------------------------------------------------------------------

describe('CSV figures that are valid', () => {
  it('valid: each row becomes a figure of its city, after the figures of the city file', async () => {
    const valid = await validateDataset({ data: `${FIXTURES}/valid`, cwd: root });
    const [alpha, beta] = valid.cities;
    expect(alpha!.figures.map((f) => f.id)).toEqual(['grants', 'applications']);
    expect(alpha!.figures[1]).toEqual({
      id: 'applications',
      metric: 'patent_applications',
      value: 3500,
      unit: '件',
      key: true,
      change: { value: 12.5, unit: '%', basis: 'yoy' },
      // A quoted cell keeps its comma.
      source: '甲市提交專利申請3500件,同比增長12.5%',
    });
    // beta has no figures in its file: all come from the CSV, in file order.
    expect(beta!.figures.map((f) => f.id)).toEqual(['grants', 'applications', 'share']);
    expect(beta!.figures[0]).toMatchObject({ key: true }); // TRUE, as spreadsheets write it
    expect(beta!.figures[1]).toMatchObject({ value: 1200, qualifier: 'over', key: false, source: '乙市專利申請突破1,200件' });
    expect(beta!.figures[2]).toEqual({
      id: 'share',
      metric: 'grants_share',
      label: '發明專利授權佔申請比',
      value: 6.7,
      unit: '%',
      key: false,
      derived: { from: ['grants', 'applications'], method: '80 ÷ 1,200,四捨五入至一位小數' },
    });
    // alpha's chart names a figure of the CSV: it is found.
    expect(alpha!.charts[0]!.figures).toContain('applications');
  });

  it('bom: a byte-order mark is not part of the first column name, and does not count as a column', async () => {
    expect(readFileSync(path.join(fixtureDir('bom'), 'figures.csv'))[0]).toBe(0xef);
    const valid = await validateDataset({ data: `${FIXTURES}/bom`, cwd: root });
    expect(valid.cities[0]!.figures.map((f) => f.id)).toEqual(['grants', 'applications']);

    // A problem in the first column of the first line is in column 1, as an editor shows it.
    const dir = await copyOf('bom', 'figures.csv', (text) => text.toString('utf8').replace('city,', 'City,'));
    const problems = await problemsOf(dir);
    expect(problems).toContainEqual(expect.objectContaining({ line: 1, column: 1, field: 'City', message: msg.unknownColumn('city', COLUMNS) }));
    expect(problems.find((p) => p.field === 'City')!.message).toMatch(/rename it to "city"/);
  });

  it('json-valid: a city file in JSON is read like YAML, and CSV figures join it', async () => {
    expect(readdirSync(path.join(fixtureDir('json-valid'), 'cities'))).toEqual(['alpha.json']);
    const valid = await validateDataset({ data: `${FIXTURES}/json-valid`, cwd: root });
    const json = JSON.parse(readFileSync(path.join(fixtureDir('json-valid'), 'cities', 'alpha.json'), 'utf8')) as { figures: { id: string }[] };
    expect(valid.cities[0]!.figures.map((f) => f.id)).toEqual([...json.figures.map((f) => f.id), 'applications']);
  });
});

describe('broken CSV files: one located problem each, saying what to do', () => {
  it('truncated: an unclosed quote is reported where the cell opens; the figure it cut off is not reported missing', async () => {
    const problems = await problemsOf(`${FIXTURES}/truncated`);
    // The chart of alpha names the cut-off figure; "does not exist" would mislead, so only the cause is reported.
    expect(problems).toEqual([{ file: shown('truncated', 'figures.csv'), ...at('truncated', 'figures.csv', '"甲市'), field: 'source', message: msg.csvQuoteNotClosed }]);
    expect(problems[0]!.message).toMatch(/cut short.*Close the cell with a quote/);
  });

  it('duplicate-column: reported at the second header cell of that name', async () => {
    const problems = await problemsOf(`${FIXTURES}/duplicate-column`);
    expect(problems).toEqual([
      { file: shown('duplicate-column', 'figures.csv'), ...at('duplicate-column', 'figures.csv', 'source,value', 'source,'.length), field: 'value', message: msg.duplicateColumn('value') },
    ]);
    expect(problems[0]!.message).toMatch(/keep one/);
  });

  it('wrong-type: "1,234" and 1.2萬 are refused at their cells, with the plain number to write', async () => {
    const problems = await problemsOf(`${FIXTURES}/wrong-type`);
    expect(problems).toEqual([
      { file: shown('wrong-type', 'figures.csv'), ...at('wrong-type', 'figures.csv', '"1,234"'), field: 'value', message: msg.notPlainNumber('1,234', '1234') },
      { file: shown('wrong-type', 'figures.csv'), ...at('wrong-type', 'figures.csv', '1.2萬'), field: 'value', message: msg.notPlainNumber('1.2萬', '12000') },
    ]);
    expect(problems[0]!.message).toMatch(/Write 1234\b/);
    expect(problems[1]!.message).toMatch(/Write 12000\b/);
  });

  it('missing-column: a required column the header lacks is reported once, at the header', async () => {
    const problems = await problemsOf(`${FIXTURES}/missing-column`);
    expect(problems).toEqual([{ file: shown('missing-column', 'figures.csv'), line: 1, column: 1, field: 'unit', message: msg.missingColumn('unit') }]);
    expect(problems[0]!.message).toMatch(/add a "unit" column/);
  });

  it('missing-cell: an empty required cell is reported at that cell', async () => {
    const problems = await problemsOf(`${FIXTURES}/missing-cell`);
    expect(problems).toEqual([
      { file: shown('missing-cell', 'figures.csv'), ...at('missing-cell', 'figures.csv', 'applications,,', 'applications,'.length), field: 'metric', message: msg.csvCellRequired('metric') },
    ]);
    expect(problems[0]!.message).toMatch(/Fill in the cell/);
  });

  it('unknown-column: reported at its header cell; one that differs only in case is told its right name', async () => {
    const problems = await problemsOf(`${FIXTURES}/unknown-column`);
    expect(problems).toEqual([
      { file: shown('unknown-column', 'figures.csv'), ...at('unknown-column', 'figures.csv', 'notes'), field: 'notes', message: msg.unknownColumn(undefined, COLUMNS) },
      { file: shown('unknown-column', 'figures.csv'), ...at('unknown-column', 'figures.csv', 'Qualifier'), field: 'Qualifier', message: msg.unknownColumn('qualifier', COLUMNS) },
    ]);
    expect(problems[0]!.message).toMatch(/remove it or rename it to one of city, id, metric/);
  });

  it('unknown-city: a row of a city the dataset does not list is reported at its city cell', async () => {
    const problems = await problemsOf(`${FIXTURES}/unknown-city`);
    expect(problems).toEqual([{ file: shown('unknown-city', 'figures.csv'), ...at('unknown-city', 'figures.csv', 'gamma'), field: 'city', message: msg.csvUnknownCity('gamma', ['alpha']) }]);
    expect(problems[0]!.message).toMatch(/Use one of the ids .*\(alpha\) or add the city/);
  });

  it('quote-not-found: a source cell not in the article is reported at that cell', async () => {
    const problems = await problemsOf(`${FIXTURES}/quote-not-found`);
    expect(problems).toEqual([
      {
        file: shown('quote-not-found', 'figures.csv'),
        ...at('quote-not-found', 'figures.csv', '"甲市提交專利申請一萬件'),
        field: 'source',
        message: msg.sourceNotFound('article.txt', departure('甲市提交專利申請一萬件,同比增長12.5%', await readFile(path.join(root, FIXTURES, 'quote-not-found/source/article.txt'), 'utf8'))),
      },
    ]);
    expect(problems[0]!.message).toMatch(/Quote the source exactly/);
  });

  it('duplicate-id: a CSV figure reusing an id of the city file is reported at its id cell', async () => {
    const problems = await problemsOf(`${FIXTURES}/duplicate-id`);
    expect(problems).toEqual([
      { file: shown('duplicate-id', 'figures.csv'), ...at('duplicate-id', 'figures.csv', 'grants,invention'), field: 'id', message: msg.duplicateFigure('grants') },
    ]);
    expect(problems[0]!.message).toMatch(/Give each figure its own id/);
  });

  it('cell-count: a row with a cell too many is reported at the extra cell', async () => {
    const problems = await problemsOf(`${FIXTURES}/cell-count`);
    const header = readFileSync(path.join(fixtureDir('cell-count'), 'figures.csv'), 'utf8').split('\n')[0]!.split(',');
    expect(problems).toEqual([
      { file: shown('cell-count', 'figures.csv'), ...at('cell-count', 'figures.csv', '同比增長12.5%'), message: msg.csvCellCount(header.length + 1, header.length) },
    ]);
    expect(problems[0]!.message).toMatch(/Quote a cell that contains a comma/);
  });

  it('unknown-metric: a rule that spans files points into the CSV for a CSV figure', async () => {
    const problems = await problemsOf(`${FIXTURES}/unknown-metric`);
    expect(problems).toEqual([
      { file: shown('unknown-metric', 'figures.csv'), ...at('unknown-metric', 'figures.csv', 'patent_applicationz'), field: 'metric', message: msg.unknownMetric('patent_applicationz') },
    ]);
  });

  it('derived-unknown-figure: an unknown id in derived_from is reported at that cell', async () => {
    const problems = await problemsOf(`${FIXTURES}/derived-unknown-figure`);
    expect(problems).toEqual([
      { file: shown('derived-unknown-figure', 'figures.csv'), ...at('derived-unknown-figure', 'figures.csv', 'grants;nosuch'), field: 'derived_from', message: msg.unknownFigure('nosuch') },
    ]);
  });

  it('figures-file-missing: reported in dataset.yaml at `figures`', async () => {
    const problems = await problemsOf(`${FIXTURES}/figures-file-missing`);
    expect(problems).toEqual([
      {
        file: shown('figures-file-missing', 'dataset.yaml'),
        ...at('figures-file-missing', 'dataset.yaml', 'sheets/figures.csv'),
        field: 'figures',
        message: msg.tableFileMissing(shown('figures-file-missing', 'sheets/figures.csv'), 'figures'),
      },
    ]);
    expect(problems[0]!.message).toMatch(/relative to dataset.yaml/);
  });

  it('semicolons: a sheet exported with ";" gets one problem saying to export with commas', async () => {
    const dir = await copyOf('valid', 'figures.csv', (text) => text.toString('utf8').split('\n')[0]!.replaceAll(',', ';') + '\n');
    const problems = await problemsOf(dir);
    expect(problems).toEqual([{ file: path.relative(root, path.join(dir, 'figures.csv')), line: 1, column: 1, message: msg.csvSeparator(';') }]);
  });

  /** Line and column of `needle` (exactly once) in a file of a temp copy, moved on by `skip`. */
  const located = (dir: string, file: string, needle: string, skip = 0) => {
    const text = readFileSync(path.join(dir, file), 'utf8');
    expect(text.indexOf(needle)).toBe(text.lastIndexOf(needle));
    const before = text.slice(0, text.indexOf(needle) + skip).split('\n');
    return { file: path.relative(root, path.join(dir, file)), line: before.length, column: before.at(-1)!.length + 1 };
  };

  it('text after the closing quote of a cell is reported at that text', async () => {
    const dir = await copyOf('valid', 'figures.csv', (t) => t.toString('utf8').replace('"乙市專利申請突破1,200件"', '"乙市專利申請突破1,200"件'));
    expect(await problemsOf(dir)).toEqual([{ ...located(dir, 'figures.csv', '1,200"件', '1,200"'.length), field: 'source', message: msg.csvClosingQuote }]);
  });

  it('a quote inside a cell that does not start with one is reported at the quote', async () => {
    const dir = await copyOf('valid', 'figures.csv', (t) => t.toString('utf8').replace(',乙市獲得發明專利80件,', ',乙市獲得"發明"專利80件,'));
    expect(await problemsOf(dir)).toEqual([{ ...located(dir, 'figures.csv', '"發明"'), field: 'source', message: msg.csvOpeningQuote }]);
  });

  it('an empty file has no header row', async () => {
    const dir = await copyOf('valid', 'figures.csv', () => '');
    expect(await problemsOf(dir)).toEqual([{ file: path.relative(root, path.join(dir, 'figures.csv')), line: 1, column: 1, message: msg.csvNoHeader(COLUMNS) }]);
  });

  it('a column without a name is accepted while empty, and reported at its header cell once it holds a value', async () => {
    const lines = readFileSync(path.join(fixtureDir('valid'), 'figures.csv'), 'utf8').trimEnd().split('\n');
    const empty = await copyOf('valid', 'figures.csv', () => `${lines.map((l) => `${l},`).join('\n')}\n`);
    await expect(validateDataset({ data: empty, cwd: root })).resolves.toBeDefined();
    const used = await copyOf('valid', 'figures.csv', () => `${lines.map((l, i) => `${l},${i === 2 ? 'note' : ''}`).join('\n')}\n`);
    expect(await problemsOf(used)).toEqual([{ ...located(used, 'figures.csv', 'derived_method,', 'derived_method,'.length), message: msg.unnamedColumn }]);
  });

  it('derived_method without derived_from is reported at the empty derived_from cell', async () => {
    const dir = await copyOf('valid', 'figures.csv', (t) => t.toString('utf8').replace(',grants; applications,', ',,'));
    expect(await problemsOf(dir)).toEqual([{ ...located(dir, 'figures.csv', ',,"80 ÷', 1), field: 'derived_from', message: msg.derivedFromMissing }]);
  });

  it('a key cell that is not true or false is refused, also when it names an object property', async () => {
    const dir = await copyOf('valid', 'figures.csv', (text) => text.toString('utf8').replace(',yes,12.5,', ',constructor,12.5,'));
    const problems = await problemsOf(dir);
    const text = readFileSync(path.join(dir, 'figures.csv'), 'utf8');
    const before = text.slice(0, text.indexOf('constructor')).split('\n');
    expect(problems).toEqual([
      { file: path.relative(root, path.join(dir, 'figures.csv')), line: before.length, column: before.at(-1)!.length + 1, field: 'key', message: msg.notBoolean('constructor') },
    ]);
    expect(problems[0]!.message).toMatch(/Leave it empty for false/);
  });

  it('Windows line ends (CRLF) give the same lines and columns', async () => {
    const dir = await copyOf('wrong-type', 'figures.csv', (text) => text.toString('utf8').replaceAll('\n', '\r\n'));
    const problems = await problemsOf(dir);
    const file = path.relative(root, path.join(dir, 'figures.csv'));
    expect(problems).toEqual([
      { file, ...at('wrong-type', 'figures.csv', '"1,234"'), field: 'value', message: msg.notPlainNumber('1,234', '1234') },
      { file, ...at('wrong-type', 'figures.csv', '1.2萬'), field: 'value', message: msg.notPlainNumber('1.2萬', '12000') },
    ]);
  });

  it('invalid UTF-8 in the CSV is located by line and column, like in YAML files', async () => {
    let offset = 0;
    const dir = await copyOf('valid', 'figures.csv', (text) => {
      offset = text.indexOf('beta');
      return Buffer.concat([text.subarray(0, offset), Buffer.from([0xe7, 0x94]), text.subarray(offset)]);
    });
    const problems = await problemsOf(dir);
    expect(problems).toEqual([{ file: path.relative(root, path.join(dir, 'figures.csv')), line: 3, column: 1, message: msg.notUtf8(offset) }]);
  });
});

describe('the number a message suggests for spreadsheet text', () => {
  it.each([
    ['1,234', '1234'],
    ['-2,000,000', '-2000000'],
    ['1.2萬', '12000'],
    ['0.5万', '5000'],
    ['1.1億', '110000000'],
    ['3.14159億', '314159000'],
    ['1,234.50', '1234.5'],
    ['12.5%', '12.5'],
    ['1.92万亿', '1920000000000'],
    ['4.3215萬億', '4321500000000'],
    ['43214.85亿', '4321485000000'],
    ['3.5千', '3500'],
    ['many', undefined],
    ['1e5', undefined],
    ['1.234,5', undefined],
  ])('%s → %s', (text, plain) => {
    expect(suggestNumber(text)).toBe(plain);
    // The message names the suggestion when there is one, and always says what to write.
    expect(msg.notPlainNumber(text, plain)).toMatch(plain ? `Write ${plain}:` : /Write the number in digits/);
  });
});

describe('city files in JSON', () => {
  it('json-duplicate-key: reported at the second key, as JSON', async () => {
    const problems = await problemsOf(`${FIXTURES}/json-duplicate-key`);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toEqual({
      file: shown('json-duplicate-key', 'cities/alpha.json'),
      ...at('json-duplicate-key', 'cities/alpha.json', '"value": 121'),
      field: 'figures[0].value',
      message: msg.duplicateKey('JSON'),
    });
  });

  it('a wrong type in a JSON city file is located at its value', async () => {
    const dir = await copyOf('json-valid', 'cities/alpha.json', (text) => text.toString('utf8').replace('"value": 120', '"value": "many"'));
    const problems = await problemsOf(dir);
    const text = readFileSync(path.join(dir, 'cities/alpha.json'), 'utf8');
    const before = text.slice(0, text.indexOf('"many"')).split('\n');
    expect(problems).toEqual([
      { file: path.relative(root, path.join(dir, 'cities/alpha.json')), line: before.length, column: before.at(-1)!.length + 1, field: 'figures[0].value', message: msg.wrongType('number', 'many') },
    ]);
  });

  it('yaml-and-json: two files for one city is an error naming both', async () => {
    const problems = await problemsOf(`${FIXTURES}/yaml-and-json`);
    expect(problems).toEqual([
      {
        file: shown('yaml-and-json', 'dataset.yaml'),
        ...at('yaml-and-json', 'dataset.yaml', 'alpha]'),
        field: 'cities[0]',
        message: msg.cityFileTwice('alpha', shown('yaml-and-json', 'cities/alpha.yaml'), shown('yaml-and-json', 'cities/alpha.json')),
      },
    ]);
    expect(problems[0]!.message).toMatch(/Keep one of them/);
  });
});

describe('the CLI', () => {
  const broken = readdirSync(path.join(root, FIXTURES)).filter((f) => !['valid', 'bom', 'json-valid', 'tables'].includes(f)).sort();

  it.each(broken)('validate --data <%s> exits 2 and prints every problem as file:line:column field: message', async (fixture) => {
    const data = fixtureDir(fixture);
    const error = (await validateDataset({ data }).catch((e: unknown) => e)) as DataError;
    expect(error).toBeInstanceOf(DataError);
    const { code, out, err } = await run(['validate', '--data', data]);
    expect(code).toBe(2);
    expect(out).toBe('');
    const lines = err.split('\n').map((l) => l.trim());
    for (const p of error.problems) {
      const where = p.line === undefined ? p.file : `${p.file}:${p.line}:${p.column}`;
      expect(lines).toContain(`${where}${p.field ? ` ${p.field}` : ''}: ${p.message}`);
    }
  });

  it('build with a broken CSV exits 2 and leaves an existing out/ untouched', async () => {
    const out = path.join(await tempDir('cli-out'), 'out');
    await mkdir(path.join(out, 'alpha'), { recursive: true });
    const earlier = { 'manifest.json': '{"outputs":[]}\n', 'alpha/briefing.pdf': '%PDF-1.7 an earlier build\n', 'alpha/briefing.html': '<p>earlier</p>\n' };
    for (const [file, text] of Object.entries(earlier)) await writeFile(path.join(out, file), text);
    const before = await Promise.all(Object.keys(earlier).map(async (f) => (await stat(path.join(out, f))).mtimeMs));

    const { code, err } = await run(['build', '--data', fixtureDir('truncated'), '--out', out]);
    expect(code).toBe(2);
    const csv = path.relative(process.cwd(), path.join(fixtureDir('truncated'), 'figures.csv'));
    const { line, column } = at('truncated', 'figures.csv', '"甲市');
    expect(err).toContain(`${csv}:${line}:${column} source: ${msg.csvQuoteNotClosed}`);

    expect((await readdir(out, { recursive: true })).sort()).toEqual(['alpha', 'alpha/briefing.html', 'alpha/briefing.pdf', 'manifest.json']);
    for (const [file, text] of Object.entries(earlier)) expect(await readFile(path.join(out, file), 'utf8')).toBe(text);
    expect(await Promise.all(Object.keys(earlier).map(async (f) => (await stat(path.join(out, f))).mtimeMs))).toEqual(before);
  });
});

// ---------------------------------------------------------------------------
// Incremental builds: the plan's input hashes and the validated-city cache, without printing.

describe('incremental builds see CSV changes', () => {
  const CSV = 'figures.csv';

  /** Load, validate and plan a dataset as build() does; the inputs hash of every output, by path. */
  async function planned(data: string, state?: State) {
    const config = resolveConfig({ data, out: path.join(data, 'out'), cwd: root });
    const loaded = await load(config);
    const chartsDir = path.join(config.templatesDir, 'charts');
    const valid = await validate(loaded, { chartSpecs: await listChartSpecs(chartsDir), chartsDir, known: knownCities(state, config.version, loaded) });
    const kinds = await readKinds(config.templatesDir, root);
    const { todo } = await plan(config, loaded, valid, kinds, { outputs: [] }, undefined, () => undefined);
    // What build() leaves for the next build (see nextState in state.ts).
    const next: State = { version: config.version, basis: validationBasis(loaded), cities: Object.fromEntries(valid.files), outputs: {} };
    return { valid, next, inputs: Object.fromEntries(todo.map((job) => [job.path, job.inputs])) };
  }

  /** Paths whose inputs hash differs between two plans. */
  const changed = (a: Record<string, string>, b: Record<string, string>) =>
    Object.keys(a)
      .filter((p) => a[p] !== b[p])
      .sort();

  const editCsv = async (data: string, edit: (text: string) => string) => {
    const file = path.join(data, CSV);
    const text = await readFile(file, 'utf8');
    const edited = edit(text);
    expect(edited).not.toBe(text);
    await writeFile(file, edited);
  };

  it("changing a row of one city changes only that city's outputs and the overview", async () => {
    const data = await copyOf('valid');
    const before = await planned(data);
    expect(Object.keys(before.inputs).sort()).toEqual(['alpha/briefing.html', 'alpha/slides.html', 'beta/briefing.html', 'beta/slides.html', 'overview.html']);
    // beta's applications are not the ranking metric: no other city shows them.
    await editCsv(data, (t) => t.replace('beta,applications,patent_applications,1200,件,,', 'beta,applications,patent_applications,1200,件,專利申請總量,'));
    const after = await planned(data);
    expect(changed(before.inputs, after.inputs)).toEqual(['beta/briefing.html', 'beta/slides.html', 'overview.html']);
  });

  it('changing a row of the ranking metric changes every output, through the cross-city ranking', async () => {
    const data = await copyOf('valid');
    const before = await planned(data);
    await editCsv(data, (t) => t.replace('beta,grants,invention_patent_grants,80,', 'beta,grants,invention_patent_grants,90,'));
    const after = await planned(data);
    expect(changed(before.inputs, after.inputs)).toEqual(Object.keys(before.inputs).sort());
  });

  it('moving rows within the file, or reordering columns, changes nothing', async () => {
    const data = await copyOf('valid');
    const before = await planned(data);
    await editCsv(data, (t) => {
      const [header, alpha, ...rest] = t.trimEnd().split('\n');
      // alpha's row goes last; the columns `key` and `qualifier` swap places in every line.
      const swap = (line: string) => {
        const cells = line.match(/("[^"]*"|[^,]*)(,|$)/g)!.map((c) => c.replace(/,$/, '')).slice(0, 12);
        [cells[6], cells[7]] = [cells[7]!, cells[6]!];
        return cells.join(',');
      };
      return `${[header!, ...rest, alpha!].map(swap).join('\n')}\n`;
    });
    const after = await planned(data);
    expect(after.valid.cities.map((c) => c.figures)).toEqual(before.valid.cities.map((c) => c.figures));
    expect(changed(before.inputs, after.inputs)).toEqual([]);
  });

  it('the validated-city cache is used while a city and its rows are unchanged, and never returns figures a CSV change replaced', async () => {
    const data = await copyOf('valid');
    const first = await planned(data);
    // Mark what the cache holds, to see whether a city came from it.
    const marked: State = { ...first.next, cities: Object.fromEntries(Object.entries(first.next.cities).map(([key, city]) => [key, { ...city, commentary: 'from the cache' }])) };
    const unchanged = await planned(data, marked);
    expect(unchanged.valid.cities.map((c) => c.commentary)).toEqual(['from the cache', 'from the cache']);

    await editCsv(data, (t) => t.replace('beta,applications,patent_applications,1200,件,,', 'beta,applications,patent_applications,1200,件,專利申請總量,'));
    const after = await planned(data, marked);
    const [alpha, beta] = after.valid.cities;
    expect(alpha!.commentary).toBe('from the cache');
    expect(beta!.commentary).toBeUndefined();
    expect(beta!.figures.find((f) => f.id === 'applications')!.label).toBe('專利申請總量');
  });
});
