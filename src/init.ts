/**
 * `citybrief init [DIR]`: a working starter project, ready for `citybrief
 * build` with no edit: a small invented dataset with its own source text,
 * labels, a logo, the project file, and the default templates copied in so
 * the project owns them.
 */
import { cp, mkdir, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { bundledTheme, packageRoot } from './config.js';
import { UsageError } from './errors.js';
import { msg } from './messages.js';

/** The starter project that ships with citybrief. */
export const starterDir = path.join(packageRoot, 'starter');

export interface InitResult {
  readonly dir: string;
  /** Files written, relative to the project folder, sorted. */
  readonly files: readonly string[];
}

/** Write the starter project into `dir` (created if missing); refuses a folder that holds anything. */
export async function init(dir: string, cwd: string = process.cwd()): Promise<InitResult> {
  const target = path.resolve(cwd, dir);
  const info = await stat(target).catch(() => undefined);
  if (info && !info.isDirectory()) throw new UsageError(msg.initNotFolder(dir));
  const present = info ? await readdir(target) : [];
  if (present.length > 0) throw new UsageError(msg.initNotEmpty(dir, present));
  await mkdir(target, { recursive: true });
  // The theme first, then the starter's own files (its helpers.mjs beside the templates).
  await cp(bundledTheme, path.join(target, 'templates'), { recursive: true, errorOnExist: true, force: false });
  await cp(starterDir, target, { recursive: true, force: false, errorOnExist: true });
  const files = (await readdir(target, { recursive: true, withFileTypes: true }))
    .filter((d) => d.isFile())
    .map((d) => path.relative(target, path.join(d.parentPath, d.name)).split(path.sep).join('/'))
    .sort();
  return { dir: target, files };
}
