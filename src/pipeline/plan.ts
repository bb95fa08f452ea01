/**
 * Stage 3 — plan: decide which outputs to build. Each output's inputs are
 * hashed — its city's file and rows of the figures CSV (the city's key, see
 * load.ts), what it shows of the other cities (the ranking),
 * dataset.yaml, every template, partial, stylesheet and chart spec, the font
 * packages, the options and citybrief's version — and recorded in the
 * manifest. An output whose inputs hash is unchanged and whose files are as
 * the manifest says is kept; everything else is rebuilt. `force` rebuilds all.
 *
 * What the out folder remembers of earlier builds (the manifest, the state
 * cache) is read and written by state.ts.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ResolvedConfig } from '../config.js';
import { fontPackagesDigest } from '../fonts.js';
import { rankingRows } from './context.js';
import type { KindSpec } from './kinds.js';
import type { Loaded } from './load.js';
import { intact, type Manifest, type ManifestEntry, type State } from './state.js';
import type { Valid } from './validate.js';

/** One output to build: a document about one city, or about all of them (the overview). */
export type Job = CityJob | AllCitiesJob;

export interface CityJob extends JobBase {
  readonly city: string;
}

export interface AllCitiesJob extends JobBase {
  /** Documents about every city (the overview) have none. */
  readonly city: null;
}

interface JobBase {
  readonly kind: KindSpec;
  /** HTML path below the out folder; the PDF sits beside it. */
  readonly path: string;
  readonly pdfPath: string;
  /** How many folders below the out folder the document is (links and images are relative to it). */
  readonly depth: number;
  /** Hash of everything the output is made from, but the images it shows (recorded as it is built). */
  readonly inputs: string;
}

export interface Plan {
  /** Outputs to build, overview last. */
  readonly todo: readonly Job[];
  /** Manifest entries of outputs kept as they are (their files were checked). */
  readonly kept: readonly ManifestEntry[];
  /** Documents kept as they are. */
  readonly unchanged: number;
}

/**
 * `kinds` are the kinds to build; `assetSha` gives the hash of an image as it is now (undefined when
 * it is gone), to keep an output only if the images it showed are unchanged.
 */
export async function plan(
  config: ResolvedConfig,
  loaded: Loaded,
  valid: Valid,
  kinds: readonly KindSpec[],
  previous: Manifest,
  state: State | undefined,
  assetSha: (name: string) => string | undefined,
): Promise<Plan> {
  const hash = (...parts: unknown[]) => createHash('sha256').update(JSON.stringify(parts)).digest('hex');
  const base = hash(
    config.version,
    valid.dataset.lang,
    config.epoch ?? null,
    fontPackagesDigest(),
    await directoryDigest(config.templatesDir),
    loaded.dataset.sha256,
    valid.labelsKey,
    config.logo ?? null,
  );
  const cross = valid.dataset.ranking ? hash(rankingRows(valid, valid.labels, valid.dataset.ranking.metric)) : '';
  // A city's key covers its CSV rows, so a changed row rebuilds that city's outputs (and the others' only through `cross`).
  const fileOf = valid.keys;

  const jobs: Job[] = [];
  const wanted = config.cities ? new Set(config.cities) : undefined;
  const job = <C extends string | null>(kind: KindSpec, city: C, inputs: string) => {
    const stem = city === null ? kind.output : kind.output.replaceAll('{city}', city);
    return { kind, city, path: `${stem}.html`, pdfPath: `${stem}.pdf`, depth: stem.split('/').length - 1, inputs };
  };
  for (const city of valid.cities) {
    if (wanted && !wanted.has(city.id)) continue;
    for (const kind of kinds) if (kind.per === 'city') jobs.push(job(kind, city.id, hash(base, kind.name, fileOf.get(city.id), cross)));
  }
  for (const kind of kinds) if (kind.per === 'all') jobs.push(job(kind, null, hash(base, kind.name, [...fileOf.values()])));

  const byPath = new Map(previous.outputs.map((e) => [e.path, e]));
  const todo: Job[] = [];
  const kept: ManifestEntry[] = [];
  let unchangedJobs = 0;
  for (const job of jobs) {
    const entries = [byPath.get(job.path), byPath.get(job.pdfPath)];
    const unchanged =
      !config.force &&
      entries.every((e) => e?.inputs === job.inputs && Object.entries(e.assets ?? {}).every(([name, sha]) => assetSha(name) === sha)) &&
      (await Promise.all(entries.map((e) => intact(config.outDir, e!, state)))).every(Boolean);
    if (unchanged) {
      kept.push(...(entries as ManifestEntry[]));
      unchangedJobs++;
    } else todo.push(job);
  }
  return { todo, kept, unchanged: unchangedJobs };
}

/** Hash of every file below a folder, by relative path. */
async function directoryDigest(dir: string): Promise<string> {
  const hash = createHash('sha256');
  const files = (await readdir(dir, { recursive: true, withFileTypes: true }))
    .filter((d) => d.isFile())
    .map((d) => path.join(d.parentPath ?? (d as unknown as { path: string }).path, d.name))
    .sort();
  for (const file of files) hash.update(path.relative(dir, file)).update('\0').update(await readFile(file)).update('\0');
  return hash.digest('hex');
}
