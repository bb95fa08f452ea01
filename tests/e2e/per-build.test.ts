/**
 * Builds that run at once in one process (a preview, a queue worker, a
 * program calling build() twice) keep to their own state: what one build
 * sets up for its language — the fonts its charts are measured with, the
 * words it prints — never reaches the other's documents.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { build, type BuildOptions, type BuildResult } from '../../src/index.js';

const root = path.resolve(import.meta.dirname, '../..');
const scratch: string[] = [];
afterAll(async () => {
  await Promise.all(scratch.map((dir) => rm(dir, { recursive: true, force: true })));
});
const outDir = async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'citybrief-per-build-'));
  scratch.push(dir);
  return dir;
};

/** Each output's path and the hash of its bytes. */
const bytes = (result: BuildResult) => Object.fromEntries(result.outputs.map((o) => [o.path, o.sha256]));

describe('two builds at once in one process', () => {
  it('of different languages give the bytes each gives alone', async () => {
    // The seed in Traditional Chinese, and another office's dataset in Simplified Chinese: their charts
    // measure labels with fonts in another order, and their documents print other words.
    const traditional = async (): Promise<BuildOptions> => ({ cwd: root, kinds: ['briefing', 'overview'], out: await outDir() });
    const simplified = async (): Promise<BuildOptions> => ({ cwd: root, data: 'tests/fixtures/other-office', kinds: ['briefing', 'overview'], out: await outDir() });

    const aloneT = await build(await traditional());
    const aloneS = await build(await simplified());
    const [togetherT, togetherS] = await Promise.all([build(await traditional()), build(await simplified())]);

    for (const result of [aloneT, aloneS, togetherT, togetherS]) expect(result.failures).toEqual([]);
    expect(Object.keys(bytes(aloneT))).toHaveLength(22);
    expect(bytes(togetherT)).toEqual(bytes(aloneT));
    expect(bytes(togetherS)).toEqual(bytes(aloneS));
    expect(aloneT.manifest.outputs.every((o) => o.lang === 'zh-Hant')).toBe(true);
    expect(aloneS.manifest.outputs.every((o) => o.lang === 'zh-Hans')).toBe(true);
  }, 240_000);
});
