/**
 * `citybrief watch`: build, then rebuild whenever the project changes: its
 * data, templates, labels, images or project file. Each rebuild is an ordinary incremental build, so only the outputs
 * whose inputs changed are redone; changes during a build start one more
 * build after it, never a second one alongside.
 */
import { existsSync, readFileSync, watch as watchFiles, type FSWatcher } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { resolveConfig, type BuildOptions, type ResolvedConfig } from './config.js';
import { namedFiles } from './pipeline/load.js';
import { serialRunner, type RunReport } from './runner.js';

export interface Watcher {
  /** Resolves when the current build (if any) has finished. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

/** Quiet time after the last change before a build starts (editors write files in several steps). */
const SETTLE_MS = 300;

export function watch(options: BuildOptions, onReport: (report: RunReport) => void, onChange: (file: string) => void = () => {}): Watcher {
  const config = resolveConfig(options);
  const runner = serialRunner(options, onReport);
  let timer: NodeJS.Timeout | undefined;
  const changed = (file: string) => {
    onChange(file);
    clearTimeout(timer);
    timer = setTimeout(() => runner.request(true), SETTLE_MS);
  };
  // The project's folders that exist (labels and assets are optional), and its project file.
  const folders = [...new Set([config.dataDir, config.templatesDir, config.labelsDir, config.assetsDir])].filter((dir) => existsSync(dir));
  const watchers: FSWatcher[] = folders.map((dir) =>
    watchFiles(dir, { recursive: true }, (_event, name) => {
      changed(name ? `${dir}/${name}` : dir);
      if (name && path.resolve(dir, name) === config.dataFile) watchOutside();
    }),
  );
  if (config.projectFile) {
    const file = config.projectFile;
    watchers.push(watchFiles(path.dirname(file), (_event, name) => void (name === path.basename(file) && changed(file))));
  }
  // dataset.yaml may name files outside the data folder (the source text, a figures CSV): watch
  // those too, and again whenever dataset.yaml changes.
  let outside: FSWatcher[] = [];
  const watchOutside = () => {
    for (const w of outside) w.close();
    outside = externalFiles(config).map((file) =>
      watchFiles(path.dirname(file), (_event, name) => {
        if (name === path.basename(file)) changed(file);
      }),
    );
  };
  watchOutside();
  runner.request(true);
  return {
    idle: () => runner.idle(),
    async close() {
      clearTimeout(timer);
      for (const w of [...watchers, ...outside]) w.close();
      await runner.stop();
    },
  };
}

/** Files dataset.yaml names that lie outside the data and templates folders (none if it cannot be read). */
function externalFiles(config: ResolvedConfig): string[] {
  let dataset: unknown;
  try {
    dataset = parse(readFileSync(config.dataFile, 'utf8'));
  } catch {
    return []; // the build reports what is wrong with it
  }
  const inside = (file: string, dir: string) => !path.relative(dir, file).startsWith('..');
  const { source, tables } = namedFiles(config, dataset);
  return [...tables, source].filter((f): f is string => f !== undefined && !inside(f, config.dataDir) && !inside(f, config.templatesDir));
}
