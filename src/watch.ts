/**
 * `citybrief watch`: build, then rebuild whenever the project changes: its
 * data, templates, labels, images or project file. Each rebuild is an ordinary incremental build, so only the outputs
 * whose inputs changed are redone; changes during a build start one more
 * build after it, never a second one alongside. The browser stays open
 * between builds.
 *
 * The files are watched with chokidar, which the preview uses too: Node's
 * fs.watch misses changes on network shares, Docker bind mounts and WSL's
 * Windows drives, where `poll` checks the files on a timer instead.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { watch as chokidar } from 'chokidar';
import { parse } from 'yaml';
import { resolveConfig, type BuildOptions, type ResolvedConfig } from './config.js';
import { builder } from './pipeline/build.js';
import { namedFiles } from './pipeline/load.js';
import { serialRunner, type RunReport } from './runner.js';

export interface WatchOptions {
  /** Check the files on a timer instead of waiting for the system to report changes (network shares, bind mounts, WSL). */
  readonly poll?: boolean;
}

export interface Watcher {
  /** Resolves when the current build (if any) has finished. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Quiet time after the last change before a build starts: a save that arrives in several writes is
 * one build. Short, since a save is seen within it; a save during a build queues one build after it.
 */
export const SETTLE_MS = 30;

/** Milliseconds between two checks of a file when polling. */
const POLL_MS = 250;

export function watch(options: BuildOptions & WatchOptions, onReport: (report: RunReport) => void, onChange: (file: string) => void = () => {}): Watcher {
  const config = resolveConfig(options);
  const builds = builder(options);
  const runner = serialRunner(options, onReport, (more) => builds.build(more));
  const files = watchProject(config, options, (file) => {
    onChange(file);
    runner.request(true);
  });
  runner.request(true);
  return {
    idle: () => runner.idle(),
    async close() {
      await files.close();
      await runner.stop();
      await builds.close();
    },
  };
}

export interface ProjectFiles {
  /** Resolves once the files are being watched: a change from then on is seen. */
  readonly ready: Promise<void>;
  close(): Promise<void>;
}

/**
 * Watch every file a build reads: the data, templates, labels and assets folders, the project
 * file, and the files dataset.yaml names outside them (again whenever dataset.yaml changes).
 * `changed` is called once the changes have settled, with the last file changed.
 */
export function watchProject(config: ResolvedConfig, options: WatchOptions, changed: (file: string) => void): ProjectFiles {
  const folders = [...new Set([config.dataDir, config.templatesDir, config.labelsDir, config.assetsDir])];
  let outside = externalFiles(config);
  const watcher = chokidar([...folders, ...(config.projectFile ? [config.projectFile] : []), ...outside], {
    ignoreInitial: true,
    usePolling: options.poll ?? false,
    interval: POLL_MS,
    binaryInterval: POLL_MS,
    // What the build writes is not a change of the project (an out folder inside the data folder).
    ignored: (file) => file === config.outDir || file.startsWith(`${config.outDir}${path.sep}`),
  });
  let timer: NodeJS.Timeout | undefined;
  watcher.on('all', (_event, file) => {
    if (path.resolve(file) === config.dataFile) {
      const next = externalFiles(config);
      watcher.unwatch(outside.filter((f) => !next.includes(f)));
      watcher.add(next.filter((f) => !outside.includes(f)));
      outside = next;
    }
    clearTimeout(timer);
    timer = setTimeout(() => changed(file), SETTLE_MS);
  });
  return {
    ready: new Promise((resolve) => watcher.once('ready', () => resolve())),
    async close() {
      clearTimeout(timer);
      await watcher.close();
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
