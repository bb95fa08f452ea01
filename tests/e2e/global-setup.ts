/**
 * Builds the seed dataset once, with every kind, for all end-to-end test
 * files; they read the outputs back from the folder provided as `seedOut`.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { build } from '../../src/index.js';
import type { ProgressEvent } from '../../src/index.js';

declare module 'vitest' {
  export interface ProvidedContext {
    seedOut: string;
  }
}

export default async function setup(project: TestProject) {
  const root = path.resolve(import.meta.dirname, '../..');
  const out = await mkdtemp(path.join(tmpdir(), 'citybrief-seed-'));
  const events: ProgressEvent[] = [];
  const result = await build({ cwd: root, out, onProgress: (e) => events.push(e) });
  // What the build reported, for tests that check warnings and refused requests.
  await writeFile(path.join(out, 'build-result.json'), JSON.stringify({ events, refused: result.refused, failures: result.failures }));
  project.provide('seedOut', out);
  return async () => {
    await rm(out, { recursive: true, force: true });
  };
}
