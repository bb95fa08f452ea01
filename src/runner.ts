/**
 * Runs builds one at a time for the long-running commands (watch, schedule):
 * a request while a build is running is remembered, never run alongside it.
 */
import { build, type BuildResult } from './pipeline/build.js';
import type { BuildOptions } from './config.js';

export interface RunReport {
  readonly started: Date;
  readonly result?: BuildResult;
  readonly error?: Error;
}

export interface SerialRunner {
  /** Ask for a build. Returns false if one is running (it will run once more after, when `queue` is true). */
  request(queue: boolean): boolean;
  /** Resolves when no build is running or queued. */
  idle(): Promise<void>;
  /** Stop: abort the running build and run nothing more. */
  stop(): Promise<void>;
}

/** `run` makes one build; by default a build of its own, with a browser of its own. */
export function serialRunner(options: BuildOptions, onReport: (report: RunReport) => void, run: (options: BuildOptions) => Promise<BuildResult> = build): SerialRunner {
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = false;
  let controller: AbortController | undefined;

  const runOnce = async () => {
    controller = new AbortController();
    const started = new Date();
    try {
      const result = await run({ ...options, signal: controller.signal });
      onReport({ started, result });
    } catch (error) {
      const e = error as Error & { result?: BuildResult };
      onReport({ started, result: e.result, error: e });
    } finally {
      controller = undefined;
    }
  };

  const loop = async () => {
    do {
      again = false;
      await runOnce();
    } while (again && !stopped);
    running = undefined;
  };

  return {
    request(queue) {
      if (stopped) return false;
      if (running) {
        if (queue) again = true;
        return false;
      }
      running = loop();
      return true;
    },
    async idle() {
      while (running) await running;
    },
    async stop() {
      stopped = true;
      controller?.abort();
      await running;
    },
  };
}
