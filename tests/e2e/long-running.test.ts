/**
 * The long-running commands: watch rebuilds what a change affects, schedule
 * builds on a cron schedule and never overlaps two builds.
 */
import { cp, mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { msg } from '../../src/messages.js';
import type { RunReport } from '../../src/runner.js';
import { schedule } from '../../src/schedule.js';
import { watch } from '../../src/watch.js';

const root = path.resolve(import.meta.dirname, '../..');
let work: string;

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'citybrief-long-'));
  await cp(path.join(root, 'data'), path.join(work, 'data'), { recursive: true });
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** Resolves with the n-th report (1-based). */
function reports() {
  const list: RunReport[] = [];
  const waiters: { n: number; resolve: (r: RunReport) => void }[] = [];
  return {
    list,
    push(report: RunReport) {
      list.push(report);
      for (const w of waiters.filter((w) => w.n === list.length)) w.resolve(report);
    },
    nth(n: number) {
      return list.length >= n ? Promise.resolve(list[n - 1]!) : new Promise<RunReport>((resolve) => waiters.push({ n, resolve }));
    },
  };
}

describe('watch', () => {
  it('builds, then rebuilds only what a changed file affects', async () => {
    const seen = reports();
    const out = path.join(work, 'watch-out');
    const watcher = watch({ cwd: root, data: path.join(work, 'data'), out, kinds: ['briefing'] }, (r) => seen.push(r));
    try {
      const first = await seen.nth(1);
      expect(first.error).toBeUndefined();
      expect(first.result!.outputs.filter((o) => o.format === 'pdf')).toHaveLength(10);

      const file = path.join(work, 'data', 'cities', 'xian.yaml');
      const text = await readFile(file, 'utf8');
      await writeFile(file, text.replace(/^commentary: (.*)$/m, (_, c: string) => `commentary: ${c}(修訂)`));
      const second = await seen.nth(2);
      expect(second.error).toBeUndefined();
      expect(second.result!.outputs.map((o) => o.path).sort()).toEqual(['xian/briefing.html', 'xian/briefing.pdf']);
      expect(second.result!.unchanged).toBe(9);
      expect(await readFile(path.join(out, 'xian', 'briefing.html'), 'utf8')).toContain('(修訂)');
    } finally {
      await watcher.close();
    }
  });
});

describe('watch, with a figures CSV outside the data folder', () => {
  it('rebuilds the city whose row changed', async () => {
    // The spreadsheet lives beside the data folder, in the same project, as an export an analyst updates in place.
    const base = path.join(work, 'csv-outside');
    await cp(path.join(root, 'tests/fixtures/csv/valid'), path.join(base, 'data'), { recursive: true });
    await mkdir(path.join(base, 'sheets'));
    await rename(path.join(base, 'data', 'figures.csv'), path.join(base, 'sheets', 'figures.csv'));
    const datasetFile = path.join(base, 'data', 'dataset.yaml');
    await writeFile(datasetFile, (await readFile(datasetFile, 'utf8')).replace('figures: figures.csv', 'figures: ../sheets/figures.csv'));

    const seen = reports();
    const out = path.join(base, 'out');
    const watcher = watch({ cwd: root, project: base, data: path.join(base, 'data'), out, kinds: ['briefing'] }, (r) => seen.push(r));
    try {
      const first = await seen.nth(1);
      expect(first.error).toBeUndefined();
      expect(first.result!.outputs.filter((o) => o.format === 'pdf')).toHaveLength(2);

      const csv = path.join(base, 'sheets', 'figures.csv');
      const text = await readFile(csv, 'utf8');
      // A label, not the ranking's metric: only this city's documents show it.
      const edited = text.replace(/^alpha,applications,patent_applications,3500,件,,/m, 'alpha,applications,patent_applications,3500,件,專利申請總量,');
      expect(edited).not.toBe(text);
      await writeFile(csv, edited);
      const second = await seen.nth(2);
      expect(second.error).toBeUndefined();
      expect(second.result!.outputs.map((o) => o.path).sort()).toEqual(['alpha/briefing.html', 'alpha/briefing.pdf']);
      expect(await readFile(path.join(out, 'alpha', 'briefing.html'), 'utf8')).toContain('專利申請總量');
    } finally {
      await watcher.close();
    }
  });
});

describe('watch --poll (network shares, bind mounts, WSL)', () => {
  it('sees a saved file by checking it on a timer, and rebuilds what it affects', async () => {
    const base = path.join(work, 'polled');
    await cp(path.join(root, 'tests/fixtures/csv/valid'), path.join(base, 'data'), { recursive: true });
    const seen = reports();
    const out = path.join(base, 'out');
    const watcher = watch({ cwd: root, data: path.join(base, 'data'), out, kinds: ['briefing'], poll: true }, (r) => seen.push(r));
    try {
      expect((await seen.nth(1)).error).toBeUndefined();
      const csv = path.join(base, 'data', 'figures.csv');
      const text = await readFile(csv, 'utf8');
      const edited = text.replace(/^alpha,applications,patent_applications,3500,件,,/m, 'alpha,applications,patent_applications,3500,件,輪詢所見,');
      expect(edited).not.toBe(text);
      await writeFile(csv, edited);
      const second = await seen.nth(2);
      expect(second.error).toBeUndefined();
      expect(second.result!.outputs.map((o) => o.path).sort()).toEqual(['alpha/briefing.html', 'alpha/briefing.pdf']);
      expect(await readFile(path.join(out, 'alpha', 'briefing.html'), 'utf8')).toContain('輪詢所見');
    } finally {
      await watcher.close();
    }
  });
});

describe('schedule', () => {
  it('refuses an expression that is not a cron schedule, saying what one looks like', () => {
    let error: unknown;
    try {
      schedule('every monday', { cwd: root }, () => {});
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UsageError);
    // The message is msg.badCron with croner's reason in the parentheses.
    const [before, after] = msg.badCron('every monday', '\u0000').split('\u0000');
    expect((error as Error).message.startsWith(before!)).toBe(true);
    expect((error as Error).message.endsWith(after!)).toBe(true);
  });

  it('builds on every tick and skips ticks that come while a build is running, never overlapping', async () => {
    const seen = reports();
    const skipped: Date[] = [];
    let running = 0;
    let overlapped = false;
    const out = path.join(work, 'schedule-out');
    // Every second; a full first build takes several seconds, so ticks arrive while it runs.
    const job = schedule(
      '* * * * * *',
      {
        cwd: root,
        data: path.join(work, 'data'),
        out,
        kinds: ['briefing'],
        onProgress: (e) => {
          if (e.type === 'stage' && e.stage === 'load') {
            running++;
            if (running > 1) overlapped = true;
          }
        },
      },
      (r) => {
        running--;
        seen.push(r);
      },
      (at) => skipped.push(at),
    );
    try {
      expect(job.next()).toBeInstanceOf(Date);
      const first = await seen.nth(1);
      const second = await seen.nth(2);
      expect(first.error).toBeUndefined();
      expect(second.error).toBeUndefined();
      expect(second.started.getTime()).toBeGreaterThanOrEqual(first.started.getTime() + 1);
      // The second build found nothing to do: the first built everything.
      expect(second.result!.outputs).toHaveLength(0);
      expect(skipped.length).toBeGreaterThan(0);
      expect(overlapped).toBe(false);
    } finally {
      await job.close();
    }
  });
});
