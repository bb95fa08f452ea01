/**
 * One rule for numbers in YAML, JSON and the figures CSV (src/pipeline/numbers.ts):
 * decimal digits only, held exactly, each break of the rule a located problem
 * saying what to write instead.
 *
 * YAML and JSON are checked on documents parsed here the way load.ts parses
 * them; each case first shows what the parse gives without the check (16 for
 * `0x10`, -0 for `-0`, …), the silent reading the rule closes. CSV cells are
 * checked through csv.ts, alone and through `validateDataset` on a copy of a
 * fixture, so the problem is located at its cell.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LineCounter, parseDocument } from 'yaml';
import { msg } from '../../src/messages.js';
import { COLUMNS, FIGURES, rawFigure, suggestNumber, type CsvRow } from '../../src/pipeline/csv.js';
import { csvNumber, numberProblem, numberProblems } from '../../src/pipeline/numbers.js';
import { problemsOf, root } from '../helpers/fixtures.js';

/** Parse as load.ts does; the value the file gives without the check, and the problems the check finds. */
function check(text: string, shown = 'cities/alpha.yaml') {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  expect(doc.errors).toEqual([]);
  return { value: doc.toJS() as unknown, problems: numberProblems(doc, lines, text, shown) };
}

/** 1-based line and column of the one occurrence of `needle` in `text`, moved on by `skip` characters. */
function at(text: string, needle: string, skip = 0): { line: number; column: number } {
  const index = text.indexOf(needle);
  expect(index, `${needle} occurs in the text`).not.toBe(-1);
  expect(text.indexOf(needle, index + 1), `${needle} occurs once`).toBe(-1);
  const before = text.slice(0, index + skip).split('\n');
  return { line: before.length, column: before.at(-1)!.length + 1 };
}

/** A city file whose first figure's value is written `written`. */
const city = (written: string) => `id: alpha
name:
  zh-Hant: 甲市
figures:
  - id: grants
    metric: invention_patent_grants
    value: ${written}
    unit: 件
    source: 甲市獲得發明專利120件
`;
const valueOf = (parsed: unknown) => (parsed as { figures: { value: unknown }[] }).figures[0]!.value;

const SAFE = Number.MAX_SAFE_INTEGER;

describe('YAML numbers: what the parser reads silently, and the located problem that says what to write', () => {
  it.each([
    // written, what the parse gives, the message, the words saying what to do
    ['0x10', 16, msg.numberNotDecimal('0x10', 'hexadecimal', '16', true), /write 16 instead/],
    ['0x1F', 31, msg.numberNotDecimal('0x1F', 'hexadecimal', '31', true), /write 31 instead/],
    ['0o17', 15, msg.numberNotDecimal('0o17', 'octal', '15', true), /write 15 instead/],
    ['-0', -0, msg.numberNotDecimal('-0', 'negativeZero', '0', true), /would print as "-0": write 0 instead\.$/],
    ['-0.0', -0, msg.numberNotDecimal('-0.0', 'negativeZero', '0', true), /write 0 instead/],
    ['+5', 5, msg.numberNotDecimal('+5', 'plus', '5', true), /plus sign: write 5 instead/],
    ['00012', 12, msg.numberNotDecimal('00012', 'leadingZeros', '12', true), /leading zeros: write 12 instead/],
    ['012', 12, msg.numberNotDecimal('012', 'leadingZeros', '12', true), /write 12 instead/],
    ['.5', 0.5, msg.numberNotDecimal('.5', 'point', '0.5', true), /write 0\.5 instead/],
    ['1.', 1, msg.numberNotDecimal('1.', 'point', '1', true), /write 1 instead/],
    ['9007199254740993', 9007199254740992, msg.numberBeyondSafe('9007199254740993', '9007199254740992', true), /would print as 9007199254740992\. Write it in a larger unit/],
    ['12345678901234567890', 12345678901234567168, msg.numberBeyondSafe('12345678901234567890', '12345678901234567168', true), /larger unit, with fewer digits \(e\.g\. 億 or million\)/],
    // Held exactly, but beyond 2^53 − 1 all the same: no warning-free integer past it.
    ['1e16', 1e16, msg.numberBeyondSafe('1e16', undefined, true), /beyond 9007199254740991 \(2\^53 − 1\)/],
    ['1e309', Infinity, msg.numberTooLarge('1e309', true), /too large to be a number.*Write it in a larger unit/],
    ['-1e309', -Infinity, msg.numberTooLarge('-1e309', true), /too large to be a number.*minus infinity/],
    ['.inf', Infinity, msg.numberNotFigure('.inf', 'infinity', true), /Write the number in decimal digits/],
    ['-.inf', -Infinity, msg.numberNotFigure('-.inf', 'infinity', true), /read as infinity/],
    ['.nan', NaN, msg.numberNotFigure('.nan', 'nan', true), /read as "not a number"/],
    ['3.14159265358979323846', 3.141592653589793, msg.numberLosesDigits('3.14159265358979323846', '3.141592653589793', true), /would print as 3\.141592653589793\. Write 3\.141592653589793/],
    ['1e-400', 0, msg.numberLosesDigits('1e-400', '0', true), /cannot be held exactly: it would print as 0/],
  ] as const)('%s (read as %s) is reported at its value', (written, today, message, advice) => {
    const text = city(written);
    const { value, problems } = check(text);
    // What the file gives without the check: the hole.
    expect(Object.is(valueOf(value), today) || (Number.isNaN(today) && Number.isNaN(valueOf(value) as number))).toBe(true);
    expect(problems).toEqual([{ file: 'cities/alpha.yaml', ...at(text, `value: ${written}\n`, 'value: '.length), field: 'figures[0].value', message }]);
    expect(problems[0]!.message).toMatch(advice);
  });

  it('the wording of a number too large no longer reads "not number Infinity"', () => {
    expect(msg.wrongType('number', Infinity)).toMatch(/not number Infinity/); // what validation says without the rule
    expect(msg.numberTooLarge('1e309', true)).toBe(
      'is 1e309, which is too large to be a number: its size is beyond about 1.8e308, so it would be infinity. Write it in a larger unit (e.g. 億 or million), or put it in quotes if it is meant as text.',
    );
  });

  it.each(['0', '-2', '1234', '0.5', '-0.5', '1.50', '1.5e6', '1E3', '2.5e-3', '0.1', '0.30000000000000004', `${SAFE}`, `-${SAFE}`])('%s is decimal and held exactly: no problem', (written) => {
    expect(check(city(written)).problems).toEqual([]);
  });

  it('text in quotes is text, whatever it looks like', () => {
    expect(check(city('"0x10"')).problems).toEqual([]);
    expect(check(city("'-0'")).problems).toEqual([]);
  });

  it('a quoted number with a tag is still a number, and checked', () => {
    const text = city('!!int "0x10"');
    expect(valueOf(check(text).value)).toBe(16);
    expect(check(text).problems).toEqual([{ file: 'cities/alpha.yaml', ...at(text, '"0x10"'), field: 'figures[0].value', message: msg.numberNotDecimal('0x10', 'hexadecimal', '16', true) }]);
  });

  it('every number is checked, wherever it stands: in lists, in nested mappings, and keys', () => {
    const text = 'metrics:\n  grants: { label: 授權, order: 0o7 }\nlist: [1, 0x1F, +3]\n0x10: a key read as "16"\n';
    const { value, problems } = check(text, 'dataset.yaml');
    expect(value).toEqual({ metrics: { grants: { label: '授權', order: 7 } }, list: [1, 31, 3], '16': 'a key read as "16"' });
    expect(problems).toEqual([
      { file: 'dataset.yaml', ...at(text, '0o7'), field: 'metrics.grants.order', message: msg.numberNotDecimal('0o7', 'octal', '7', true) },
      { file: 'dataset.yaml', ...at(text, '0x1F'), field: 'list[1]', message: msg.numberNotDecimal('0x1F', 'hexadecimal', '31', true) },
      { file: 'dataset.yaml', ...at(text, '+3'), field: 'list[2]', message: msg.numberNotDecimal('+3', 'plus', '3', true) },
      { file: 'dataset.yaml', ...at(text, '0x10'), field: '16', message: msg.numberNotDecimal('0x10', 'hexadecimal', '16', true) },
    ]);
  });

  it('an alias is checked once, at its anchor', () => {
    const text = 'a: &n 0x10\nb: *n\n';
    expect(check(text).value).toEqual({ a: 16, b: 16 });
    expect(check(text).problems).toEqual([{ file: 'cities/alpha.yaml', ...at(text, '0x10'), field: 'a', message: msg.numberNotDecimal('0x10', 'hexadecimal', '16', true) }]);
  });

  it('a YAML 1.1 file: 010 is octal (8), 0b101 binary, 1_000 and 1:30 are numbers too', () => {
    const text = '%YAML 1.1\n---\na: 010\nb: 0b101\nc: 1_000\nd: 1:30\ne: 10\n';
    const { value, problems } = check(text);
    expect(value).toEqual({ a: 8, b: 5, c: 1000, d: 90, e: 10 });
    expect(problems).toEqual([
      { file: 'cities/alpha.yaml', ...at(text, '010'), field: 'a', message: msg.numberNotDecimal('010', 'octal', '8', true) },
      { file: 'cities/alpha.yaml', ...at(text, '0b101'), field: 'b', message: msg.numberNotDecimal('0b101', 'binary', '5', true) },
      { file: 'cities/alpha.yaml', ...at(text, '1_000'), field: 'c', message: msg.numberNotDecimal('1_000', 'separators', '1000', true) },
      { file: 'cities/alpha.yaml', ...at(text, '1:30'), field: 'd', message: msg.numberNotDecimal('1:30', 'base60', '90', true) },
    ]);
  });

  it('the shipped dataset, starter project and labels have no number that breaks the rule', () => {
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const file = path.join(dir, name);
        if (statSync(file).isDirectory()) walk(file);
        else if (/\.(ya?ml|json)$/.test(name)) files.push(file);
      }
    };
    for (const dir of ['data', 'starter', 'labels', 'templates']) walk(path.join(root, dir));
    files.push(path.join(root, 'citybrief.config.yaml'));
    expect(files.length).toBeGreaterThan(5);
    for (const file of files) expect(check(readFileSync(file, 'utf8'), file).problems, file).toEqual([]);
  });
});

describe('JSON numbers: the same rule (JSON is read by the YAML parser, which takes 0x10 and +5 in JSON too)', () => {
  const json = (written: string) => `{
  "id": "alpha",
  "figures": [
    { "id": "grants", "value": ${written}, "unit": "件" }
  ]
}
`;
  it.each([
    ['0x10', 16, msg.numberNotDecimal('0x10', 'hexadecimal', '16', true)],
    ['-0', -0, msg.numberNotDecimal('-0', 'negativeZero', '0', true)],
    ['+5', 5, msg.numberNotDecimal('+5', 'plus', '5', true)],
    ['012', 12, msg.numberNotDecimal('012', 'leadingZeros', '12', true)],
    ['1e309', Infinity, msg.numberTooLarge('1e309', true)],
    ['9007199254740993', 9007199254740992, msg.numberBeyondSafe('9007199254740993', '9007199254740992', true)],
  ] as const)('%s (read as %s) is reported at its value', (written, today, message) => {
    const text = json(written);
    const { value, problems } = check(text, 'cities/alpha.json');
    expect(Object.is(valueOf(value), today)).toBe(true);
    expect(problems).toEqual([{ file: 'cities/alpha.json', ...at(text, `"value": ${written},`, '"value": '.length), field: 'figures[0].value', message }]);
  });

  it.each(['120', '-2', '0.5', '1.5e6', '0'])('%s: no problem', (written) => {
    expect(check(json(written), 'cities/alpha.json').problems).toEqual([]);
  });
});

describe('CSV cells: the same rule, for what the CSV accepts (no exponent)', () => {
  it.each([
    // cell, what csv.ts read it as before the rule, the message
    ['+5', 5, msg.numberNotDecimal('+5', 'plus', '5', false)],
    ['+12.5', 12.5, msg.numberNotDecimal('+12.5', 'plus', '12.5', false)],
    ['00012', 12, msg.numberNotDecimal('00012', 'leadingZeros', '12', false)],
    ['00.5', 0.5, msg.numberNotDecimal('00.5', 'leadingZeros', '0.5', false)],
    ['-0', -0, msg.numberNotDecimal('-0', 'negativeZero', '0', false)],
    ['-0.0', -0, msg.numberNotDecimal('-0.0', 'negativeZero', '0', false)],
    ['+0', 0, msg.numberNotDecimal('+0', 'plus', '0', false)],
    ['9007199254740993', 9007199254740992, msg.numberBeyondSafe('9007199254740993', '9007199254740992', false)],
    ['1'.padEnd(400, '0'), Infinity, msg.numberTooLarge('1'.padEnd(400, '0'), false)],
    ['0.1000000000000000055511151231257827', 0.1, msg.numberLosesDigits('0.1000000000000000055511151231257827', '0.1', false)],
  ] as const)('%s (read as %s before) is refused, saying what to write', (text, before, message) => {
    // What the CSV's number pattern let through before the rule, and the value it became.
    expect(/^[+-]?\d+(?:\.\d+)?$/.test(text)).toBe(true);
    expect(Object.is(Number(text), before)).toBe(true);
    expect(csvNumber(text)).toEqual({ message });
    // No "put it in quotes": a CSV value cell holds a number.
    expect(message).not.toMatch(/quotes/);
  });

  it('messages say what to write, in plain words', () => {
    expect(csvNumber('+5')).toEqual({ message: 'is +5, a number with a plus sign: write 5 instead.' });
    expect(csvNumber('00012')).toEqual({ message: 'is 00012, a number with leading zeros: write 12 instead.' });
    expect(csvNumber('-0')).toEqual({ message: 'is -0, zero with a minus sign, which would print as "-0": write 0 instead.' });
    expect((csvNumber('1'.padEnd(400, '0')) as { message: string }).message).toMatch(/^is 1000000000000000000000000000000000000000…, which is too large to be a number/);
  });

  it.each([['0', 0], ['12', 12], ['-2', -2], ['0.5', 0.5], ['-0.5', -0.5], ['1234.50', 1234.5], ['3500', 3500], [`${SAFE}`, SAFE]] as const)('%s is read as %s', (text, value) => {
    expect(csvNumber(text)).toEqual({ value });
  });

  it.each(['1,234', '1.2萬', 'many', '1e5', '0x10', '12.5%', ''])('%s is not written as a number: csv.ts says what it may mean', (text) => {
    expect(csvNumber(text)).toBeUndefined();
  });

  it('a row: value and change are read by the rule; other text still gets the plain number it may mean', () => {
    const columns = new Set<string>(COLUMNS);
    const row = (cells: CsvRow['cells']): CsvRow => ({ cells: { city: 'alpha', id: 'a', metric: 'm', unit: '件', source: 'x', ...cells }, table: { shown: 'figures.csv', layout: FIGURES, columns }, at: () => ({ line: 2, column: 1 }) });
    expect(rawFigure(row({ value: '+5', change: '+12.5' }), columns).problems).toEqual([
      { column: 'value', message: msg.numberNotDecimal('+5', 'plus', '5', false) },
      { column: 'change', message: msg.numberNotDecimal('+12.5', 'plus', '12.5', false) },
    ]);
    expect(rawFigure(row({ value: '-0' }), columns)).toMatchObject({ raw: {}, problems: [{ column: 'value', message: msg.numberNotDecimal('-0', 'negativeZero', '0', false) }] });
    expect(rawFigure(row({ value: '1,234' }), columns).problems).toEqual([{ column: 'value', message: msg.notPlainNumber('1,234', '1234') }]);
    expect(rawFigure(row({ value: '3500', change: '-2.5' }), columns)).toMatchObject({ raw: { value: 3500, change: { value: -2.5 } }, problems: [] });
  });

  it('a suggestion for spreadsheet text is itself written by the rule: no plus sign, no -0', () => {
    expect(suggestNumber('+1,234')).toBe('1234');
    expect(suggestNumber('-1,234')).toBe('-1234');
    expect(suggestNumber('-0.0萬')).toBe('0');
    for (const text of ['+1,234', '-1,234', '1.2萬', '-0.0萬', '+12.5%']) expect(numberProblem(suggestNumber(text)!, Number(suggestNumber(text)), false)).toBeUndefined();
  });
});

describe('CSV cells through validation: each problem at its cell', () => {
  const temps: string[] = [];
  afterAll(async () => {
    await Promise.all(temps.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  it('+3500, 00080, 9007199254740993 and -0 in the valid fixture are reported at their value cells; +12.5 at its change cell', async () => {
    const dir = path.join(await mkdtemp(path.join(os.tmpdir(), 'citybrief-numbers-')), 'valid');
    temps.push(path.dirname(dir));
    await cp(path.join(root, 'tests/fixtures/csv/valid'), dir, { recursive: true });
    const file = path.join(dir, 'figures.csv');
    const text = (await readFile(file, 'utf8'))
      .replace('patent_applications,3500,件,,,yes,12.5,', 'patent_applications,+3500,件,,,yes,+12.5,')
      .replace('invention_patent_grants,80,', 'invention_patent_grants,00080,')
      .replace('patent_applications,1200,', 'patent_applications,9007199254740993,')
      .replace('grants_share,6.7,', 'grants_share,-0,');
    await writeFile(file, text);
    const shown = path.relative(root, file);
    // The cell that starts after `before` (with `rest` after it, where `before` alone is not unique).
    const cell = (before: string, rest = '') => at(text, before + rest, before.length);
    const problems = await problemsOf(dir);
    expect(problems).toEqual([
      { file: shown, ...cell('patent_applications,', '+'), field: 'value', message: msg.numberNotDecimal('+3500', 'plus', '3500', false) },
      { file: shown, ...cell('yes,'), field: 'change', message: msg.numberNotDecimal('+12.5', 'plus', '12.5', false) },
      { file: shown, ...cell('invention_patent_grants,'), field: 'value', message: msg.numberNotDecimal('00080', 'leadingZeros', '80', false) },
      { file: shown, ...cell('patent_applications,', '9'), field: 'value', message: msg.numberBeyondSafe('9007199254740993', '9007199254740992', false) },
      { file: shown, ...cell('grants_share,'), field: 'value', message: msg.numberNotDecimal('-0', 'negativeZero', '0', false) },
    ]);
  });
});
