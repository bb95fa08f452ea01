/**
 * Every user-facing message, so tests can assert against them by reference.
 * The words documents print are not here: they belong to the project
 * (labels.ts has citybrief's subject-free defaults).
 */
import type { LayoutProblem } from './pipeline/measure.js';
import { characterName, type Departure } from './pipeline/quotes.js';

export const msg = {
  unknownCity: (id: string, known: readonly string[]) =>
    `unknown city id "${id}". Known ids: ${known.join(', ')}. Check --city against the dataset's \`cities\` list.`,
  unknownKind: (kind: string, known: readonly string[], dir: string) =>
    `unknown kind "${kind}". The templates in ${dir} make: ${known.join(', ') || 'nothing (no *.hbs file)'}. Use one or more of them (comma-separated), or add ${kind}.hbs there.`,
  initNotEmpty: (dir: string, present: readonly string[]) =>
    `${dir} is not empty (it holds ${present.slice(0, 3).join(', ')}${present.length > 3 ? ', …' : ''}): init writes only into an empty or new folder, so nothing of yours is overwritten. Name a new folder, e.g. \`citybrief init my-briefings\`.`,
  initNotFolder: (dir: string) => `${dir} is a file, not a folder: name a new folder for the project.`,
  noProject: (dir: string) => `the project folder ${dir} does not exist. Pass --project with a folder holding citybrief.config.yaml (\`citybrief init DIR\` makes one).`,
  badKindName: (name: string) =>
    `"${name}.hbs" cannot name a kind of document: a kind's name is lower-case letters, digits, "-" or "_". Rename the file, or move a partial into partials/.`,
  badPageSize: (value: string, named: readonly string[]) =>
    `is "${value}", which is not a page size citybrief knows. Use one of ${named.map((n) => (/^[a-z]\d$/.test(n) ? n.toUpperCase() : /^[a-z]/.test(n) ? n[0]!.toUpperCase() + n.slice(1) : n)).join(', ')} (add "landscape" or "portrait" to turn a named size), or a width and height such as "210mm 99mm".`,
  outputNeedsCity: (output: string) => `is "${output}", but a document made per city needs {city} once in its path (e.g. "{city}/factsheet"), or every city would write the same file.`,
  outputHasCity: (output: string) => `is "${output}", but a document made once for all cities (per: all) has no city: remove {city}.`,
  outputReserved: (output: string, reserved: readonly string[]) => `is "${output}", which is a folder citybrief keeps for itself (${reserved.join(', ')}): choose another path.`,
  outputTwice: (output: string, other: string) => `is "${output}", which the kind "${other}" writes too: give each kind its own output.`,
  badEpoch: (value: string) => `SOURCE_DATE_EPOCH is "${value}"; it must be whole seconds since 1970 (or unset for PDFs without dates).`,
  /** Boxes (`data-fit` elements) whose content is larger than they are, with the page each is on: a deck's slides, a page's boxes. */
  overflow: (path: string, unit: 'slide' | 'page' | 'box', boxes: readonly { readonly element: string; readonly page: number }[]) => {
    const many = boxes.length > 1;
    const named = boxes.map((b) => (unit === 'box' ? `${b.element} (page ${b.page})` : `${b.page} (${b.element})`)).join(', ');
    const where = unit === 'slide' ? `on ${many ? 'slides' : 'slide'}` : unit === 'page' ? `on ${many ? 'pages' : 'page'}` : `in ${many ? 'the boxes' : 'the box'}`;
    return `${path}: content does not fit ${where} ${named} and would be cut off. Shorten the text or split it in the template.`;
  },
  /** What the print stage's page layout found wrong with a document (measure.ts), one problem at a time. */
  layout: (path: string, unit: 'slide' | 'page' | 'box', problem: Exclude<LayoutProblem, { kind: 'overflow' }>, budget: { fill: number; boxFill: number }) => {
    const page = unit === 'slide' ? 'slide' : 'page';
    const where = `${page} ${problem.page}`;
    const pct = (share: number) => `${Math.round(share * 100)}%`;
    switch (problem.kind) {
      case 'fill':
        return `${path}, ${where}: only ${pct(problem.share)} of the page is filled${problem.element ? ` (it ends with "${problem.element}")` : ''}; every page of a longer document should be at least ${pct(budget.fill)} full. Shorten or lengthen the text, or let the kind's CSS tighten or loosen the layout (html[data-tighten] steps, as in the default theme.css).`;
      case 'sparse':
        return `${path}, ${where} (${problem.element}): its content spans only ${pct(problem.share)} of the ${page}, under the ${pct(budget.boxFill)} a ${page} should use. Let the layout grow with fewer items (as the default slides.css does), or mark a title ${page} data-fill="any".`;
      case 'alone':
        return `${path}, ${where}: the heading "${problem.element}" is left at the foot of the page, apart from what follows it. Give it break-after: avoid in the kind's CSS, or keep it in one block with what follows (break-inside: avoid).`;
      case 'split':
        return `${path}, ${where}: "${problem.text}" in "${problem.element}" is broken across lines, its number apart from its unit. Keep it on one line (white-space: nowrap, or the class nobreak).`;
      case 'clipped':
        return `${path}, ${where}: the chart "${problem.element}" cuts off its label "${problem.text}". Give the chart spec more width or padding, or shorten the label.`;
    }
  },
  strictDocument: (path: string, count: number) =>
    `${path} is not written: --strict allows no warning and it has ${count} (above). Fix ${count === 1 ? 'it' : 'them'}, or build without --strict to publish it anyway.`,
  strictWarnings: (count: number) =>
    `--strict: the build gave ${count} ${count === 1 ? 'warning' : 'warnings'} (above), so it fails. Fix ${count === 1 ? 'it' : 'them'}, or build without --strict to publish anyway.`,
  notPositive: (name: string, value: unknown) => `${name} must be a whole number of at least 1, not ${String(value)}.`,
  badCron: (cron: string, reason: string) => `"${cron}" is not a cron schedule (${reason}). Use five fields, e.g. "0 6 * * 1" for Mondays at 06:00.`,
  noDataset: (path: string) =>
    `no dataset at ${path}. Pass --data with the path to a dataset.yaml (or the folder holding one).`,
  unreadable: (path: string, reason: string) => `cannot read ${path}: ${reason}`,
  directionControl: (control: string) =>
    `holds the invisible control ${control}, which would print the text after it in another order than the data gives it. Delete it: text in a right-to-left script needs no such control.`,
  notRegularFile: 'is not a regular file (a folder, a device or a pipe): name a file that holds the data.',
  fileOutside: (file: string, folders: readonly string[]) =>
    `names ${file}, which is outside ${folders.length > 1 ? `the project (${folders[0]}) and the dataset's folder (${folders[1]})` : `the project (${folders[0]})`}: citybrief reads a dataset's files only there. Move the file into the project, or, if it is meant, build with --allow-outside-files.`,
  tooLarge: (bytes: number, limit: number) =>
    `is ${(bytes / 1024 / 1024).toFixed(1)} MB; citybrief reads data files of at most ${limit / 1024 / 1024} MB. Check that this is the file you meant, or split it.`,
  notUtf8: (offset: number) => `is not valid UTF-8 (byte ${offset}). Save the file as UTF-8.`,
  yamlAliases: (reason: string) => `expands too many YAML aliases (${reason}). Write the values out instead of repeating aliases.`,
  yamlSyntax: (reason: string) => `is not valid YAML: ${reason}. Fix the syntax at this position.`,
  jsonSyntax: (reason: string) => `is not valid JSON: ${reason}. Fix the syntax at this position.`,
  duplicateKey: (format: 'YAML' | 'JSON') =>
    `is not valid ${format}: this key appears earlier in the same mapping, and a key may appear only once. Keep one of the two and delete the other.`,
  cityFileMissing: (id: string, path: string) =>
    `lists city "${id}" but ${path} does not exist. Add the file (or ${id}.json beside it) or remove "${id}" from \`cities\`.`,
  cityFileTwice: (id: string, yaml: string, json: string) =>
    `lists city "${id}", which has two files: ${yaml} and ${json}. Keep one of them and delete the other.`,
  cityIdMismatch: (id: string, file: string) =>
    `is "${id}" but the file is named ${file}. The id must match the file name.`,
  required: (expected: string) => `is required: add it (${article(expected)}).`,
  notOneOf: (value: unknown, allowed: readonly string[]) => `is ${JSON.stringify(value)}, which is not one of ${allowed.join(', ')}: use one of them.`,
  notWhole: (value: number) => `must be a whole number, not ${value}.`,
  wrongType: (expected: string, value: unknown) =>
    `must be ${article(expected)}, not ${value === null ? 'empty' : typeof value === 'string' ? `the text ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}` : Array.isArray(value) ? 'a list' : typeof value === 'object' ? 'a mapping' : `${typeof value} ${String(value)}`}.`,
  unknownField: 'is not a known field: remove it or check its spelling.',
  duplicateCity: (id: string) => `lists city "${id}" twice. Each city id must be unique.`,
  duplicateFigure: (id: string) => `figure id "${id}" is used twice in this city. Give each figure its own id.`,
  unknownMetric: (id: string) => `metric "${id}" is not defined. Add it under \`metrics\` in dataset.yaml.`,
  unknownFigure: (id: string) => `figure "${id}" does not exist in this city. Use the id of one of its figures.`,
  missingName: (lang: string) => `needs a name in the dataset's language (${lang}).`,
  problemsHeading: (n: number, templates: boolean) => `${n} problem${n === 1 ? '' : 's'} in the dataset${templates ? ' and its templates' : ''}:`,
  cellFileMissing: (file: string) => `names the workbook ${file}, which does not exist. Check the name (it is relative to dataset.yaml).`,
  cellNotNumber: (ref: string, text: string) => `names the cell ${ref}, which holds ${text === '' ? 'nothing' : JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text)}, not a number: name the cell that holds the figure.`,
  cellDiffers: (ref: string, text: string, value: number) => `names the cell ${ref}, which holds ${text}, not the figure's value ${value}: correct the value or the cell.`,
  sourceShapes:
    'must be one of: the exact words of the source text (a quote), `{ cell: book.xlsx!Sheet!C12 }` (a workbook cell holding the value), `{ citation: { publication: …, table: …, page: …, url: …, date: … } }` (another publication) or `{ citation: id }` (one of dataset.yaml\'s `citations`).',
  rankShapes:
    'must be one of: `position: N` (the city\'s place, a whole number), `within: N` (among the first N) or `listed: true` (on a list, without a place), each with its `source`; not two of them.',
  sourceNotFound: (file: string, near?: Departure) =>
    near
      ? `is not found verbatim in ${file}. The nearest passage there reads "${near.passage}": the quote's character ${near.position} is ${characterName(near.quoted)}, where ${file} has ${near.found === undefined ? 'nothing more' : characterName(near.found)}. Quote the source exactly (same characters and punctuation).`
      : `is not found verbatim in ${file}. Quote the source exactly (same characters and punctuation).`,
  tableFileMissing: (path: string, key: string) =>
    `names ${path}, which does not exist. Check the path (it is relative to dataset.yaml) or remove \`${key}\`.`,
  csvQuoteNotClosed:
    'opens a quoted cell that is never closed: the file may be cut short. Close the cell with a quote (") or export the file again; a quote inside a cell is written twice ("").',
  csvClosingQuote: 'follows the closing quote of a cell. A quoted cell must end at its quote: put the whole cell in quotes and write each quote inside it twice ("").',
  csvOpeningQuote: 'is a quote inside a cell that does not start with one. Put the whole cell in quotes and write each quote inside it twice ("").',
  workbookNotXlsx: 'is not an Excel workbook (.xlsx): save it from your spreadsheet program as "Excel Workbook (.xlsx)", or export the figures as CSV.',
  workbookTooLarge: (bytes: number, limit: number) =>
    `unpacks to ${(bytes / 1024 / 1024).toFixed(0)} MB, more than the ${limit / 1024 / 1024} MB a workbook may: keep only the figures sheet in it, or export the figures as CSV.`,
  workbookUnreadable: (reason: string) => `could not be read as a workbook: ${reason.replace(/[.\s]+$/, '')}. Open it in your spreadsheet program and save it again as .xlsx.`,
  workbookNoSheet: (sheet: string, sheets: readonly string[]) =>
    `has no sheet named "${sheet}" (it has ${sheets.map((s) => `"${s}"`).join(', ') || 'none'}). Name the figures sheet "${sheet}", or name the sheet in dataset.yaml: figures: book.xlsx!Sheet name.`,
  workbookDate: (date: string) =>
    `is a date (${date}), and a figure's cells are numbers or text. For a period, write it as text (2013, 2013年, 2013-Q1): format the cell as Text first, or start it with an apostrophe.`,
  workbookError: (error: string) => `holds the error ${error} where a formula could not compute its value: correct the formula, or write the value.`,
  workbookFormulaNoValue: (formula: string) =>
    `is a formula (=${formula}) saved without its value, and citybrief does not compute formulas. Open the workbook in your spreadsheet program and save it (which stores each formula's value), or write the value.`,
  workbookCellKind: 'holds something other than a number, text or a formula: write the value as a number or text.',
  csvSyntax: (reason: string) => `is not valid CSV: ${reason}. Fix the file at this position or export it again.`,
  csvSeparator: (separator: string) =>
    `separates its columns with ${separator === '\t' ? 'tabs' : `"${separator}"`}; citybrief reads comma-separated files. Export the sheet as CSV with commas (UTF-8).`,
  csvNoHeader: (columns: readonly string[]) => `has no header row. The first line must name the columns, e.g. ${columns.join(',')}.`,
  unknownColumn: (suggestion: string | undefined, columns: readonly string[]) =>
    suggestion ? `is not a known column: rename it to "${suggestion}".` : `is not a known column: remove it or rename it to one of ${columns.join(', ')}.`,
  unnamedColumn: 'is a column without a name that holds values: name it in the header or delete the column.',
  duplicateColumn: (name: string) => `column "${name}" appears twice in the header: keep one of them.`,
  missingColumn: (name: string) => `is a required column but the header lacks it: add a "${name}" column.`,
  csvCellCount: (cells: number, columns: number) =>
    `this row has ${cells} cell${cells === 1 ? '' : 's'} but the header has ${columns} columns. Quote a cell that contains a comma ("…"), or add the missing cells (they may be empty).`,
  csvCellRequired: (column: string) => `is empty: every row needs its ${column}. Fill in the cell.`,
  textField: (field: string) => `is "${field}", not one of headline, narrative or commentary: write which of a city's texts the row holds.`,
  textTwice: (line: number) => `gives the city's commentary a second time (first on row ${line}): a city has one commentary. Join the two rows, or make one narrative.`,
  givenTwice: (field: string, table: string) => `gives the city's ${field}, which ${table} gives too: keep one of them.`,
  citiesNotTable: (name: string) =>
    `is "${name}", which is neither a list of city ids nor a table of cities. List the ids in brackets ([${name}]) or name a table: cities.csv, or book.xlsx!Cities.`,
  textWithoutTable: 'names a table of the cities\' words, which is read only with a cities table: set `cities` to the table of cities too (book.xlsx!Cities), or put the words in the city files.',
  notPlainNumber: (text: string, suggestion: string | undefined) =>
    `must be a plain number, not the text ${JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text)}. ${suggestion ? `Write ${suggestion}` : 'Write the number in digits, like 1234, 3.5 or -2'}: no thousands separators, units or number words.`,
  /**
   * A number that is not written in decimal digits (YAML, JSON or a CSV cell), with the decimal
   * that means the same. `quotable`: the value may be meant as text, which is written in quotes.
   */
  numberNotDecimal: (written: string, form: NumberForm, decimal: string, quotable: boolean) =>
    `is ${clip(written)}, ${NUMBER_FORMS[form]}: write ${decimal} instead${quotable && form !== 'negativeZero' ? ', or put it in quotes if it is meant as text' : ''}.`,
  numberTooLarge: (written: string, quotable: boolean) =>
    `is ${clip(written)}, which is too large to be a number: its size is beyond about 1.8e308, so it would be ${written.startsWith('-') ? 'minus ' : ''}infinity. Write it in a larger unit (e.g. 億 or million)${quotable ? ', or put it in quotes if it is meant as text' : ''}.`,
  numberNotFigure: (written: string, what: 'infinity' | 'nan', quotable: boolean) =>
    `is ${written}, which is read as ${what === 'nan' ? '"not a number"' : 'infinity'}, not a figure that can be printed. Write the number in decimal digits${quotable ? ', or put it in quotes if it is meant as text' : ''}.`,
  numberBeyondSafe: (written: string, held: string | undefined, quotable: boolean) =>
    `is ${clip(written)}, a whole number beyond ${Number.MAX_SAFE_INTEGER} (2^53 − 1), above which whole numbers are not all held exactly${held ? `: it would print as ${held}` : ''}. Write it in a larger unit, with fewer digits (e.g. 億 or million)${quotable ? ', or put it in quotes if it is meant as text' : ''}.`,
  numberLosesDigits: (written: string, held: string, quotable: boolean) =>
    `is ${clip(written)}, which cannot be held exactly: it would print as ${held}. Write ${held}, or write it in another unit${quotable ? ', or put it in quotes if it is meant as text' : ''}.`,
  notBoolean: (text: string) => `must be true or false (or yes/no, 1/0), not ${JSON.stringify(text)}. Leave it empty for false.`,
  derivedFromMissing: 'is empty but derived_method is given: list the ids of the figures this one is computed from (separated by spaces or ";").',
  derivedMethodMissing: 'is empty but derived_from is given: say how the value is computed from those figures.',
  csvSourceRequired: (derivable: boolean) =>
    `is required: quote the fragment of the source that states this figure, or fill in \`citation\` (the id of one of dataset.yaml's \`citations\`) or \`cell\` (book.xlsx!Sheet!C12)${derivable ? ', or derived_from and derived_method' : ''}.`,
  csvSourcesTwice: (columns: readonly string[]) => `a figure is stated in one place, but this row fills ${columns.join(' and ')}: keep one of them.`,
  unknownCitation: (id: string, known: readonly string[]) =>
    `citation "${id}" is not defined. ${known.length > 0 ? `Use one of ${known.slice(0, 10).join(', ')}${known.length > 10 ? ', …' : ''}, or add it` : 'Add it'} under \`citations\` in dataset.yaml (publication, title, table, page, url, date).`,
  valuesDiffer: (metric: string, period: string, other: string, value: number) =>
    `gives ${metric} of ${period} another value than figure "${other}" (${value}): a chart and a card would state different numbers. Correct the one that is wrong.`,
  seriesTwice: (metric: string, period: string, line: number) =>
    `gives ${metric} of ${period} a second time (first on row ${line}): a series has one value per period. Delete one row, or tell them apart with \`subject\`.`,
  csvStatedAndDerived: 'a figure is either stated (source) or derived (derived_from, derived_method), not both: empty one of them.',
  csvUnknownCity: (id: string, known: readonly string[]) =>
    `"${id}" is not a city of this dataset. Use one of the ids in dataset.yaml's \`cities\` (${known.slice(0, 10).join(', ')}${known.length > 10 ? ', …' : ''}) or add the city there.`,
  chartFiguresAlike: (id: string, other: string) =>
    `figure "${id}" would be drawn as the same bar as "${other}": they have the same label, subject and period. Give one of them a \`label\`, \`subject\` or \`period\` that tells them apart, or chart only one.`,
  mixedUnits: (units: readonly string[]) => `mixes units (${units.join(', ')}). A chart compares figures of one unit.`,
  unknownChartSpec: (spec: string, dir: string) =>
    `chart spec "${spec}" does not exist: add ${dir}/${spec}.vl.json or use one of the specs there.`,
  chartUrl: 'loads data from a URL or file. Chart data must be inline: remove "url" and let citybrief supply the values.',
  chartInvalid: (file: string, reason: string) => `${file}: ${msg.chartNotCompiling(reason)}`,
  chartNotCompiling: (reason: string) =>
    `the Vega-Lite spec does not compile: ${reason.replace(/[.\s]+$/, '')}. Correct the spec: https://vega.github.io/vega-lite/docs/ says what each property accepts.`,
  chartNotObject: 'must hold one JSON object, the Vega-Lite spec ({ "mark": …, "encoding": … }). Write the spec as an object.',
  chartEnum: (what: string, value: unknown, allowed: readonly string[]) =>
    `is ${JSON.stringify(value)}, which is not a Vega-Lite ${what}: use one of ${allowed.join(', ')}.`,
  chartHref:
    'is a link ("href"), and a printed chart cannot be clicked: remove it. To print the address or name it would link to, show that field with the "text" channel (a text mark or layer) instead; a tooltip would not print either.',
  chartRenderFailed: (file: string, chart: string, reason: string) =>
    `${file}: the chart "${chart}" could not be drawn: ${reason.replace(/[.\s]+$/, '')}. Correct the spec, or the figures this chart is given: https://vega.github.io/vega-lite/docs/ says what each property accepts.`,
  chartTooManyRows: (file: string, chart: string, rows: number, limit: number) =>
    `${file}: the chart "${chart}" has ${rows.toLocaleString('en-US')} rows, and a chart draws at most ${limit.toLocaleString('en-US')}. Give it fewer figures, or raise the limit (--max-chart-rows N, maxChartRows in citybrief.config.yaml, or the maxChartRows option).`,
  chartsClosed: (file: string, chart: string) => `${file}: the chart "${chart}" was asked for after the build's charts were closed.`,
  chartTooSlow: (file: string, chart: string, ms: number) =>
    `${file}: the chart "${chart}" took longer than ${ms / 1000} s to draw and was stopped. Check the spec for transforms that make many rows (sequence, fold, flatten, density, impute), or raise the limit (--chart-timeout SECONDS, chartTimeout in citybrief.config.yaml, or the chartTimeout option in milliseconds).`,
  templateMissing: (path: string) => `template ${path} does not exist. Pass --templates with a folder holding the kinds' templates (*.hbs).`,
  unknownHelper: (name: string) =>
    `calls the helper "${name}", which does not exist. Use one of citybrief's helpers (see the README), define it in the templates' helpers.mjs, or remove the call.`,
  helperThrew: (name: string, reason: string, document: string) =>
    `the helper "${name}" failed while making ${document}: ${reason.replace(/[.\s]+$/, '')}. Fix the helper or what this call gives it.`,
  helpersModule: (reason: string) => `could not be loaded: ${reason.replace(/[.\s]+$/, '')}. Fix the module: it exports functions, each one a helper named after its export.`,
  helperNotFunction: (name: string, type: string) => `exports "${name}" as ${type}, not a function. Export only helpers (functions), or move "${name}" out of the module.`,
  unknownPartial: (name: string) => `includes the partial "${name}", which does not exist: add partials/${name}.hbs or remove the include.`,
  templateInvalid: (file: string, reason: string) => `${file}: ${reason}`,
  templateSyntax: (reason: string) =>
    `${reason}. Check the expression that starts here: close each {{ with }} (and {{{ with }}}), end each {{#block}} with its {{/block}}, and put text arguments in quotes.`,
  noBrowser: (tried: readonly string[]) =>
    [
      'no browser could be launched. Tried:',
      ...tried.map((t) => `  - ${t}`),
      'Set CITYBRIEF_CHROME to the path of a Chrome or Chromium executable (or reinstall with `npm ci` to get the bundled one).',
    ].join('\n'),
  uncoveredGlyphs: (city: string, chars: readonly string[]) =>
    `the briefing for "${city}" has characters the bundled fonts lack (${chars.slice(0, 20).join(' ')}${chars.length > 20 ? ' …' : ''}); they may print as boxes.`,
  printTimeout: (what: string, ms: number) => `${what} took longer than ${ms / 1000} s to print and was stopped. Check the document for very long content, or raise the time a document may take (--timeout SECONDS, timeout in citybrief.config.yaml, or the timeout option in milliseconds).`,
  unsafeBrowserFolder: (folder: string) =>
    `${folder} is not a folder only this user may write (a link, another user's, or writable by others), so the browser is not unpacked or run from it. Remove it, or set CITYBRIEF_CHROME to a browser.`,
  badRedisUrl: (url: string) =>
    `"${url}" is not a Redis URL: use redis://host:port (redis://:PASSWORD@host:6379/0 with a password, rediss:// for TLS).`,
  redisUnreachable: (url: string, reason: string) =>
    `cannot use Redis at ${url}: ${reason.replace(/\.+$/, '')}. Check that the server runs and the host, port and password in the URL (rediss:// for a server that speaks TLS); nothing was built.`,
  redisLost: (url: string, ms: number, reason: string) =>
    `lost Redis at ${url} for more than ${ms / 1000} s${reason ? ` (${reason.replace(/\.+$/, '')})` : ''}: this document was not printed. The documents already written are kept; build again once Redis is back.`,
  noWorkers: (url: string, version: string, others: readonly string[]) =>
    `no worker of citybrief ${version} is connected to ${url}; the documents wait on the queue until one is (start one: citybrief worker --redis URL).${others.length > 0 ? ` Connected workers of another version take no job of this build: ${others.join(', ')}.` : ''}`,
  workersBack: (count: number) => `${count} ${count === 1 ? 'worker' : 'workers'} of this version connected: printing.`,
  jobFailed: (path: string, reason: string) => `${path} could not be printed on the workers (every attempt failed): ${reason}`,
  workerBadJob: (id: string) => `job ${id} is not a citybrief print job (or is damaged): refused.`,
  workerMismatch: (worker: string, version: string, fonts: string, jobVersion: string, jobFonts: string) =>
    `this worker (${worker}) runs citybrief ${version} with fonts ${fonts}, but the job was made by citybrief ${jobVersion} with fonts ${jobFonts}: it would print other bytes, so it refuses. Install the same citybrief (npm ci from the same lock file) on the build's machine and every worker.`,
  workerRefuses: (build: string, version: string) =>
    `refusing the jobs of the build on ${build}: this worker runs citybrief ${version}, and a document must be printed by the version that planned it. Start a worker of that version for it.`,
  workerRedis: (url: string, reason: string) => `Redis at ${url}: ${reason} (retrying)`,
  workerNoImage: (name: string) => `the image "${name}" is no longer in Redis (it expired, or Redis restarted without its data).`,
  printerClosed: 'the printer was closed: the build is stopping.',
  browserCrashed: (what: string) => `the browser crashed twice while printing ${what}; it was skipped.`,
  emptyPdf: (path: string) => `the PDF printed for ${path} has no pages; the previous ${path} was kept.`,
  writeFailed: (file: string, reason: string) => `could not write ${file}: ${reason}. Check that the out folder is writable and the disk has room; the previous file was kept.`,
  outNotFolder: (dir: string, what: string) =>
    `the out folder ${dir} cannot be written: ${what === 'a file' ? 'a file stands there' : what === 'ENOTDIR' ? 'a file stands where one of the folders above it should be' : `it cannot be read (${what})`}. Pass --out with a folder (it is created if missing).`,
  outLocked: (dir: string, holder: { pid: number; host: string; since: string } | undefined) =>
    `${dir} is being built by another citybrief${holder ? ` (process ${holder.pid} on ${holder.host}, since ${holder.since})` : ''}. Two builds into one folder would each miss the other's files: wait for it to finish, or build with --wait to start when it has. If no build is running, delete ${dir}/.citybrief/lock.`,
  stoppedWaiting: (dir: string) => `stopped while waiting for another build of ${dir} to finish; nothing was built.`,
  buildFailed: (failed: number, total: number, lines: readonly string[]) =>
    [`${failed} of ${total} documents failed; the others were written:`, ...lines.map((l) => `  ${l}`), 'Fix what is named and build again: only the missing documents are redone.'].join('\n'),
  buildAborted: (written: number) => `stopped: ${written} document${written === 1 ? '' : 's'} written and kept; the next build continues from there.`,
  printFailed: (city: string, reason: string) => `could not print the briefing for "${city}": ${reason}`,
  assetOutside: (name: string, dir: string) =>
    `names "${name}", which is not inside the assets folder. An image is named relative to ${dir}/ (e.g. "logo.svg" or "photos/city.jpg"), without "..", a leading "/" or a drive.`,
  assetMissing: (name: string, dir: string) => `names "${name}", which is not in ${dir}/. Add the image there or correct the name.`,
  assetNotFile: (name: string) => `names "${name}", which is not a regular file. Name an image file.`,
  assetTooLarge: (name: string, bytes: number, limit: number) =>
    `names "${name}", which is ${(bytes / 1024 / 1024).toFixed(1)} MB; an image may be at most ${limit / 1024 / 1024} MB. Save it smaller.`,
  assetNotImage: (name: string) => `names "${name}", which is not a PNG, JPEG, SVG or WebP image. Save it in one of these formats.`,
  assetNotNamed: (value: unknown) => `was given ${value === undefined || value === null ? 'nothing' : `a ${typeof value}`} where an image's name (e.g. "logo.svg") belongs.`,
  unknownLabelKey: (key: unknown) => `there is no label ${typeof key === 'string' ? JSON.stringify(key) : `(it was given ${typeof key})`}: name one of the labels (see the README), in quotes.`,
  unknownLabel: (like: string | undefined, known: readonly string[]) =>
    like ? `is not a label: rename it to "${like}".` : `is not a label: remove it or check its spelling. The labels are: ${known.join(', ')}.`,
  misspeltField: (like: string) => `is not a known field: rename it to "${like}".`,
  undeclaredField: (of: 'city' | 'figure') =>
    `is not a known field: check its spelling, or, to give every ${of} a field of the dataset's own, declare it in dataset.yaml under \`fields: ${of}:\` (with its type).`,
  labelsFileName: (file: string) => `${file} is not named after a language: name it <lang>.yaml with a BCP 47 tag, e.g. en.yaml, zh-Hant.yaml.`,
  noLabels: (lang: string, file: string) =>
    `is "${lang}", a language citybrief has no words for: add ${file} with every label (copy citybrief's labels for en from the README and translate them).`,
  labelsMissing: (keys: readonly string[]) => `lacks labels citybrief has no default for in this language: add ${keys.join(', ')}.`,
  unknownProgrammeKind: (kind: string, known: readonly string[], file: string) =>
    `is "${kind}", which is not a kind of programme: use one of ${known.join(', ')}, or add "${kind}" under programmeKinds in ${file}.`,
  reservedField: (name: string, of: 'city' | 'figure') => `"${name}" is a built-in field of every ${of}: name the new field otherwise.`,
  portBusy: (port: number) => `port ${port} is in use by another program: stop it, or choose another port with --port (0 picks a free one).`,
  portsBusy: (from: number, to: number) => `ports ${from} to ${to} are all in use: choose a free port with --port (0 picks one).`,
  cannotListen: (host: string, port: number, reason: string) => `cannot listen on ${host}:${port} (${reason}): check --host names an address of this machine.`,
  exposedHost: (host: string) => `the preview listens on ${host}, not only on this machine: anyone who can reach it sees the project's documents. Use it on networks you trust.`,
  blockedRequest: (url: string) => `a document asked for ${url}; citybrief loads nothing from outside the build and refused it`,
} as const;

/** How a number can be written other than in decimal digits (see src/pipeline/numbers.ts). */
export type NumberForm = 'hexadecimal' | 'octal' | 'binary' | 'base60' | 'separators' | 'plus' | 'leadingZeros' | 'point' | 'negativeZero' | 'other';

const NUMBER_FORMS: Readonly<Record<NumberForm, string>> = {
  hexadecimal: 'a hexadecimal number',
  octal: 'an octal number',
  binary: 'a binary number',
  base60: 'a number in base 60 (like a time)',
  separators: 'a number with "_" between its digits',
  plus: 'a number with a plus sign',
  leadingZeros: 'a number with leading zeros',
  point: 'a number with a point that has no digit on one side',
  negativeZero: 'zero with a minus sign, which would print as "-0"',
  other: 'not a number in decimal digits',
};

/** Long text cut to 40 characters for a message. */
function clip(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

function article(expected: string): string {
  const words: Record<string, string> = { number: 'a number', string: 'a text', array: 'a list', object: 'a mapping', boolean: 'true or false' };
  return words[expected] ?? expected;
}
