/**
 * Shared by the tests that check located problems against fixture folders:
 * where a problem in a fixture file must point, and the problems a dataset is
 * rejected with.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { main, type Io } from '../../src/cli/main.js';
import { DataError, type Problem } from '../../src/errors.js';
import { validateDataset } from '../../src/pipeline/build.js';

export const root = path.resolve(import.meta.dirname, '../..');

/** Paths and positions in the fixtures below `fixtures` (relative to the repository root, the cwd of every check). */
export function fixtureFiles(fixtures: string) {
  return {
    /** The path a problem shows for a fixture file. */
    shown: (fixture: string, file: string) => `${fixtures}/${fixture}/${file}`,
    /**
     * 1-based line and column of `needle` in a fixture file, moved on by `skip`
     * characters (to point into it). The needle must occur exactly once; `#`
     * comment lines of YAML files are left out of the search.
     */
    at(fixture: string, file: string, needle: string, skip = 0): { line: number; column: number } {
      const raw = readFileSync(path.join(root, fixtures, fixture, file), 'utf8').replace(/^\ufeff/, '');
      const text = file.endsWith('.yaml') ? raw.replace(/^#.*$/gm, (comment) => ' '.repeat(comment.length)) : raw;
      const index = text.indexOf(needle);
      if (index === -1 || text.indexOf(needle, index + 1) !== -1) throw new Error(`"${needle}" must occur exactly once in ${fixture}/${file}`);
      const before = text.slice(0, index + skip).split('\n');
      return { line: before.length, column: before.at(-1)!.length + 1 };
    },
  };
}

/** Validate `data` (cwd = repository root); return the problems of the DataError it must be rejected with. */
export async function problemsOf(data: string): Promise<readonly Problem[]> {
  const error = await validateDataset({ data, cwd: root }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, `${data} should be rejected`).toBeInstanceOf(DataError);
  return (error as DataError).problems;
}

/** Run the CLI in-process; its exit code and what it printed. */
export async function runCli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: Io = { out: (t) => void (out += t), err: (t) => void (err += t) };
  const code = await main(argv, io);
  return { code, out, err };
}
