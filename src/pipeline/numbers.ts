/**
 * How numbers may be written, in YAML, JSON and the figures CSV alike. Every
 * number a briefing prints must be exactly what the data says, so a number is
 * written in decimal digits: an optional leading minus, digits without leading
 * zeros, an optional fraction (a point with digits on both sides) and, in YAML
 * and JSON, an optional exponent (`1.5e6`). Nothing else is taken for a number
 * without a word: not hexadecimal, octal or binary (`0x10`, `0o17`, `0b101`),
 * not a plus sign, not leading zeros (`00012`), not zero with a minus sign
 * (it prints as "-0"), not a value too large to be a number (`1e309`), nor one
 * that cannot be held exactly (a whole number beyond 2^53 − 1, or more digits
 * than a number keeps): each is a located problem saying what to write.
 *
 * The YAML parser reads all of those as numbers (YAML 1.1 files add `010`,
 * `1_000` and `1:30`), and JSON is read by the same parser, so the rule looks
 * at each number's source text, not only at its value.
 */
import { isMap, isPair, isScalar, isSeq, type Document, type LineCounter, type Scalar } from 'yaml';
import type { Problem } from '../errors.js';
import { msg, type NumberForm } from '../messages.js';

/** Decimal digits, as YAML and JSON files may write a number: -12, 0.5, 1.5e6. */
const DECIMAL = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/** What a figures CSV cell must look like to be read as a number at all (anything else is text: see csv.ts). */
const CSV_NUMBER = /^[+-]?\d+(?:\.\d+)?$/;

/**
 * What is wrong with a number written as `written` that was read as `value`,
 * or undefined when it is written as the rule says and held exactly.
 * `quotable`: the value could be text instead, written in quotes (YAML and
 * JSON); the message says so.
 */
export function numberProblem(written: string, value: number, quotable: boolean): string | undefined {
  if (!Number.isFinite(value)) {
    // YAML's own words for infinity and not-a-number (.inf, -.Inf, .nan); anything else overflowed (1e309).
    if (/^[-+]?\.(?:inf|nan)$/i.test(written)) return msg.numberNotFigure(written, Number.isNaN(value) ? 'nan' : 'infinity', quotable);
    return msg.numberTooLarge(written, quotable);
  }
  if (Number.isInteger(value) && Math.abs(value) > Number.MAX_SAFE_INTEGER) {
    const held = BigInt(value).toString();
    return msg.numberBeyondSafe(written, DECIMAL.test(written) && same(written, held) ? undefined : held, quotable);
  }
  const form = formOf(written, value);
  if (form) return msg.numberNotDecimal(written, form, plain(value), quotable);
  const held = plain(value);
  if (!same(written, held)) return msg.numberLosesDigits(written, held, quotable);
  return undefined;
}

/** How `written` breaks the rule, or undefined when it is decimal digits (and not -0). */
function formOf(written: string, value: number): NumberForm | undefined {
  // -0 written as zero (-0, -0.0) is a form to refuse; -1e-400 became -0 by losing its digits (reported as such).
  if (DECIMAL.test(written)) return Object.is(value, -0) && canonical(written) === '0' ? 'negativeZero' : undefined;
  const unsigned = written.replace(/^[-+]/, '');
  if (/^0x/i.test(unsigned)) return 'hexadecimal';
  if (/^0o/i.test(unsigned)) return 'octal';
  if (/^0b/i.test(unsigned)) return 'binary';
  if (unsigned.includes(':')) return 'base60';
  if (unsigned.includes('_')) return 'separators';
  // YAML 1.1 reads 010 as octal (8): the digits say something else than the value.
  if (/^0\d/.test(unsigned) && /^\d+$/.test(unsigned) && Number(unsigned) !== Math.abs(value)) return 'octal';
  if (written.startsWith('+')) return 'plus';
  if (/^0\d/.test(unsigned)) return 'leadingZeros';
  if (/^\.|\.(?!\d)/.test(unsigned)) return 'point';
  return 'other';
}

/** `value` in decimal digits, without an exponent (and 0 for -0): what to write instead. */
function plain(value: number): string {
  if (Object.is(value, -0)) return '0';
  if (Number.isInteger(value)) return BigInt(value).toString();
  const match = /^(-?)(\d+)(?:\.(\d+))?e([+-]\d+)$/.exec(String(value));
  if (!match) return String(value);
  const [, sign = '', whole = '', fraction = '', exponent = '0'] = match;
  const digits = whole + fraction;
  const point = whole.length + Number(exponent);
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  return `${sign}${digits.padEnd(point, '0').slice(0, point)}${digits.length > point ? `.${digits.slice(point)}` : ''}`;
}

/** Whether two decimal texts (digits, optional fraction and exponent) name the same number; zero has no sign. */
function same(a: string, b: string): boolean {
  return canonical(a) === canonical(b);
}

function canonical(text: string): string {
  const match = /^(-?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (!match) return text;
  const [, sign = '', whole = '', fraction = '', exponent = '0'] = match;
  let digits = (whole + fraction).replace(/^0+/, '');
  let power = Number(exponent) - fraction.length;
  const trailing = /0*$/.exec(digits)![0].length;
  digits = digits.slice(0, digits.length - trailing);
  power += trailing;
  return digits === '' ? '0' : `${sign}${digits}e${power}`;
}

/**
 * A figures CSV cell read as a number: its value, or the message saying what
 * to write instead (`+5`, `00012`, `-0`, a number too large or too long to
 * hold); undefined when the cell is not written as a number at all (`1,234`,
 * `1.2萬`, `many`), which csv.ts reports with the plain number it may mean.
 */
export function csvNumber(text: string): { value: number } | { message: string } | undefined {
  if (!CSV_NUMBER.test(text)) return undefined;
  const value = Number(text);
  const message = numberProblem(text, value, false);
  return message === undefined ? { value } : { message };
}

/**
 * Every number of a parsed YAML or JSON file that breaks the rule, located at
 * its scalar (keys too: a key written `0x10` would become "16"). `text` is the
 * text the document was parsed from, `lines` its LineCounter, `shown` the
 * file's path as the user sees it. Nothing is reported for a document without
 * contents; a document with syntax errors is checked as far as it was parsed.
 */
export function numberProblems(doc: Document, lines: LineCounter, text: string, shown: string): Problem[] {
  const problems: Problem[] = [];
  const check = (node: Scalar, fieldPath: readonly PropertyKey[]) => {
    if (typeof node.value !== 'number' || !node.range) return;
    const raw = text.slice(node.range[0], node.range[1]);
    // A quoted scalar is a number only with a tag (!!int "0x10"); its digits are inside the quotes.
    const written = node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE' ? raw.slice(1, -1) : raw;
    const message = numberProblem(written, node.value, true);
    if (message === undefined) return;
    const pos = lines.linePos(node.range[0]);
    const field = fieldName(fieldPath);
    problems.push({ file: shown, line: pos.line, column: pos.col, ...(field ? { field } : {}), message });
  };
  const walk = (node: unknown, fieldPath: readonly PropertyKey[]): void => {
    if (isScalar(node)) return check(node, fieldPath);
    if (isMap(node)) {
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
        if (isScalar(pair.key)) check(pair.key, [...fieldPath, key!]);
        else walk(pair.key, fieldPath);
        walk(pair.value, key === undefined ? fieldPath : [...fieldPath, key]);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => walk(item, [...fieldPath, i]));
    }
  };
  walk(doc.contents, []);
  return problems;
}

/** `figures[2].value` from ['figures', 2, 'value'], as load.ts names fields. */
function fieldName(fieldPath: readonly PropertyKey[]): string {
  return fieldPath.map((key, i) => (typeof key === 'number' ? `[${key}]` : `${i === 0 ? '' : '.'}${String(key)}`)).join('');
}
