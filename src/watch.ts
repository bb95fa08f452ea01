/**
 * `citybrief watch`: build, then rebuild whenever the data or the templates
 * change. Each rebuild is an ordinary incremental build, so only the outputs
 * whose inputs changed are redone; changes during a build start one more
 * build after it, never a second one alongside.
 */
import { watch as watchFiles, type FSWatcher } from 'node:fs';
import { resolveConfig, type BuildOptions } from './config.js';
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
  const watchers: FSWatcher[] = [config.dataDir, config.templatesDir].map((dir) =>
    watchFiles(dir, { recursive: true }, (_event, name) => changed(name ? `${dir}/${name}` : dir)),
  );
  runner.request(true);
  return {
    idle: () => runner.idle(),
    async close() {
      clearTimeout(timer);
      for (const w of watchers) w.close();
      await runner.stop();
    },
  };
}
