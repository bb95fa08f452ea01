/**
 * `citybrief schedule --cron "0 6 * * 1"`: a long-running process that runs
 * an incremental build on a cron schedule (croner). A tick that comes while
 * the previous build is still running is skipped, never run alongside it.
 */
import { Cron } from 'croner';
import { UsageError } from './errors.js';
import { msg } from './messages.js';
import type { BuildOptions } from './config.js';
import { serialRunner, type RunReport } from './runner.js';

export interface Schedule {
  /** When the next build is due. */
  next(): Date | null;
  close(): Promise<void>;
}

export function schedule(
  cron: string,
  options: BuildOptions,
  onReport: (report: RunReport) => void,
  onSkip: (at: Date) => void = () => {},
  timezone?: string,
): Schedule {
  const runner = serialRunner(options, onReport);
  let job: Cron;
  try {
    job = new Cron(cron, { timezone, protect: false }, () => {
      if (!runner.request(false)) onSkip(new Date());
    });
  } catch (error) {
    throw new UsageError(msg.badCron(cron, (error as Error).message), { cause: error });
  }
  return {
    next: () => job.nextRun(),
    async close() {
      job.stop();
      await runner.stop();
    },
  };
}
