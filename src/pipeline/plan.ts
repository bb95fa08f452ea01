/**
 * Stage 3 — plan: decide which outputs to build. Each output's inputs are
 * hashed — its city's file and rows of the figures CSV (the city's key, see
 * load.ts), what it shows of the other cities (the ranking),
 * dataset.yaml, every template, partial, stylesheet and chart spec, the font
 * packages, the options and citybrief's version — and recorded in the
 * manifest. An output whose inputs hash is unchanged and whose files are as
 * the manifest says is kept; everything else is rebuilt. `force` rebuilds all.
 *
 * The state file beside the outputs (.citybrief/state.json) remembers what the
 * last build validated (by city key) and each output's size and mtime, so a
 * rebuild with nothing to do reads no YAML and hashes no PDF.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { ResolvedConfig } from '../config.js';
import { fontPackagesDigest } from '../fonts.js';
import { rankingRows } from './context.js';
import type { KindSpec } from './kinds.js';
import { sha256, type Loaded } from './load.js';
import type { CityData } from './schema.js';
import type { Valid } from './validate.js';
import { writeAtomic, type Manifest, type ManifestEntry } from './write.js';

export interface Job {
  readonly kind: KindSpec;
  /** null for documents about every city (the overview). */
  readonly city: string | null;
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
}

/** What a build leaves for the next one. */
export interface State {
  readonly version: string;
  /** What a validated city depends on besides its own file: the source text, the dataset's own fields. */
  readonly basis: string;
  /** Validated cities by their key: the hash of their file and their rows of the figures CSV. */
  readonly cities: Record<string, CityData>;
  /** Size and modification time of each output as written, to notice changes without hashing. */
  readonly outputs: Record<string, { readonly bytes: number; readonly mtimeMs: number }>;
}

export const STATE_FILE = path.join('.citybrief', 'state.json');

/**
 * What the last build left, or undefined when there is none or it does not match the hash it
 * carries (edited by hand, or damaged): then every city is validated again and every output's
 * file is checked by its hash, as on a first build. The hash is of the state's text as written,
 * so checking it costs a hash, not a second serialisation.
 */
export async function readState(outDir: string): Promise<State | undefined> {
  try {
    const text = await readFile(path.join(outDir, STATE_FILE), 'utf8');
    const head = /^\{"sum":"([0-9a-f]{64})","state":/.exec(text);
    if (!head || !text.endsWith('}')) return undefined;
    const body = text.slice(head[0].length, -1);
    return sha256(body) === head[1] ? (JSON.parse(body) as State) : undefined;
  } catch {
    return undefined;
  }
}

export async function writeState(outDir: string, state: State): Promise<void> {
  const body = JSON.stringify(state);
  await writeAtomic(path.join(outDir, STATE_FILE), `{"sum":"${sha256(body)}","state":${body}}`);
}

/** What validated cities depend on besides their own files: the source text and the fields dataset.yaml declares. */
export function validationBasis(loaded: Loaded): string {
  return sha256(JSON.stringify([loaded.sourceSha256 ?? '', (loaded.dataset.value as { fields?: unknown } | undefined)?.fields ?? null]));
}

/** Cities an earlier build validated that can be reused as they are (same citybrief, same source text, same fields). */
export function knownCities(state: State | undefined, config: ResolvedConfig, loaded: Loaded): Map<string, CityData> {
  if (!state || state.version !== config.version || state.basis !== validationBasis(loaded)) return new Map();
  return new Map(Object.entries(state.cities));
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
  const fileOf = new Map(loaded.cities.map((f, i) => [valid.cities[i]?.id, f.key]));

  const jobs: Job[] = [];
  const wanted = config.cities ? new Set(config.cities) : undefined;
  const job = (kind: KindSpec, city: string | null, inputs: string): Job => {
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
  for (const job of jobs) {
    const entries = [byPath.get(job.path), byPath.get(job.pdfPath)];
    const unchanged =
      !config.force &&
      entries.every((e) => e?.inputs === job.inputs && Object.entries(e.assets ?? {}).every(([name, sha]) => assetSha(name) === sha)) &&
      (await Promise.all(entries.map((e) => intact(config.outDir, e!, state)))).every(Boolean);
    if (unchanged) kept.push(...(entries as ManifestEntry[]));
    else todo.push(job);
  }
  return { todo, kept };
}

/** The file is as the manifest describes it: same size and mtime as written, or else the same hash. */
async function intact(outDir: string, entry: ManifestEntry, state: State | undefined): Promise<boolean> {
  const file = path.join(outDir, entry.path);
  const info = await stat(file).catch(() => undefined);
  if (!info?.isFile() || info.size !== entry.bytes) return false;
  const known = state?.outputs[entry.path];
  if (known && known.bytes === info.size && known.mtimeMs === info.mtimeMs) return true;
  return createHash('sha256').update(await readFile(file)).digest('hex') === entry.sha256;
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
