import { msg } from './messages.js';

/**
 * One base class for every error citybrief reports to a user. Each subclass is
 * one line; the message says what went wrong and what to do. Only the CLI
 * prints errors, walking the `cause` chain.
 */
export class CitybriefError extends Error {
  /** Process exit code the CLI uses for this error. */
  readonly exitCode: number = 1;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The words of an error, whatever was thrown (libraries throw strings and objects too). */
export function errorWords(error: unknown): string {
  const text = error instanceof Error ? error.message : typeof error === 'string' ? error : JSON.stringify(error) ?? String(error);
  return text.trim() || (error instanceof Error ? error.name : 'unknown error');
}

/** One problem in an input file, located as precisely as the file allows. */
export interface Problem {
  readonly file: string;
  readonly line?: number;
  readonly column?: number;
  /** In a workbook: the sheet; `line` and `column` are then the cell's row and column numbers. */
  readonly sheet?: string;
  /** Field path inside the file, e.g. `figures[2].value`. */
  readonly field?: string;
  readonly message: string;
}

export function formatProblem(p: Problem): string {
  const field = shownField(p);
  return `${problemPlace(p)}${field ? ` ${field}` : ''}: ${p.message}`;
}

/** Where a problem is: file:line:column, or a workbook's cell named by its sheet and address (book.xlsx!Figures!C12), as spreadsheets name it. */
export function problemPlace(p: Problem): string {
  return p.sheet !== undefined && p.line !== undefined && p.column !== undefined
    ? `${p.file}!${p.sheet}!${columnLetters(p.column)}${p.line}`
    : [p.file, p.line, p.line !== undefined ? p.column : undefined].filter((x) => x !== undefined).join(':');
}

/** A field is a name taken from the file (a CSV column, a key): a message quotes no more of a file than a short name. */
export function shownField(p: Problem): string | undefined {
  return p.field && p.field.length > FIELD_SHOWN ? `${p.field.slice(0, FIELD_SHOWN)}…` : p.field;
}

/** A spreadsheet's name for a column number: 1 → A, 27 → AA. */
function columnLetters(column: number): string {
  let name = '';
  for (let n = column; n > 0; n = Math.floor((n - 1) / 26)) name = String.fromCharCode(65 + ((n - 1) % 26)) + name;
  return name;
}

/** The most characters of a field name a message shows. */
const FIELD_SHOWN = 80;

/** Bad input data: the exit code is 2 and nothing is written. */
export class DataError extends CitybriefError {
  override readonly exitCode = 2;
  constructor(readonly problems: readonly Problem[], heading?: string) {
    super([heading ?? msg.problemsHeading(problems.length, false), ...problems.map((p) => `  ${formatProblem(p)}`)].join('\n'));
  }
}

/** The command line or options ask for something that cannot be done. */
export class UsageError extends CitybriefError { override readonly exitCode = 2; }
/**
 * Broken input that is not the dataset's (a template's front matter, a chart spec): exit code 2.
 * `problems` are the located problems the message lists, when it is a list of them, so a
 * validation can report them with the dataset's in one pass.
 */
export class InputError extends CitybriefError {
  override readonly exitCode = 2;
  readonly problems: readonly Problem[];
  constructor(message: string, options?: { cause?: unknown; problems?: readonly Problem[] }) {
    super(message, options);
    this.problems = options?.problems ?? [];
  }
}
/** A template, partial or helper is broken. */
export class TemplateError extends InputError {}
/** A chart spec is refused or does not compile. */
export class ChartError extends InputError {}
/** No browser could be found or launched. */
export class BrowserError extends CitybriefError {}
/** A document could not be printed. */
export class PrintError extends CitybriefError {}

/** A document that printed with warnings, in a build that allows none (--strict). */
export class StrictError extends CitybriefError {}
/** An output could not be written. */
export class WriteError extends CitybriefError {}
