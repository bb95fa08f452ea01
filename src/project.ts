/**
 * A project is a folder a user owns: its data, templates, labels, assets and
 * a small file, citybrief.config.yaml, saying where each is, which kinds of
 * document to build and where they go. Every path in it is relative to the
 * project folder; everything it leaves out has a default (see config.ts).
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { DataError, type Problem } from './errors.js';
import { msg } from './messages.js';
import { parseYaml } from './pipeline/load.js';
import { checkShape } from './pipeline/validate.js';
import { Id } from './pipeline/schema.js';

export const PROJECT_FILE = 'citybrief.config.yaml';

const Path = z.string().trim().min(1, { message: 'must not be empty' });
const Count = z.number().int().min(1, { message: 'must be at least 1' });

export const ProjectFile = z.strictObject({
  /** dataset.yaml, or the folder holding it. */
  data: Path.optional(),
  /** The templates: one *.hbs per kind of document, partials/, charts/, stylesheets, helpers.mjs. */
  templates: Path.optional(),
  /** labels/<lang>.yaml. */
  labels: Path.optional(),
  /** Images documents may show. */
  assets: Path.optional(),
  /** Where outputs go. */
  out: Path.optional(),
  /** Kinds `build` makes when --kind is not given. */
  kinds: z.array(Id).min(1).optional(),
  /** The project's logo: an image in the assets folder. */
  logo: Path.optional(),
  /** Seconds one document may take to print. */
  timeout: Count.optional(),
  /** Seconds one chart may take to draw. */
  chartTimeout: Count.optional(),
  /** Rows one chart may draw. */
  maxChartRows: Count.optional(),
});
export type ProjectSettings = z.infer<typeof ProjectFile>;

/** Read and check citybrief.config.yaml; every problem is reported at its line, at once. */
export function readProjectFile(file: string, cwd: string): ProjectSettings {
  const shown = path.relative(cwd, file) || file;
  const size = statSync(file).size;
  if (size > 1024 * 1024) throw new DataError([{ file: shown, message: msg.tooLarge(size, 1024 * 1024) }]);
  const problems: Problem[] = [];
  const parsed = parseYaml(shown, readFileSync(file, 'utf8').replace(/^\uFEFF/, ''), problems, 'YAML');
  const settings = checkShape(ProjectFile, { ...parsed, shown, value: parsed.value ?? {} }, problems);
  if (problems.length > 0 || !settings) throw new DataError(problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0)));
  return settings;
}
