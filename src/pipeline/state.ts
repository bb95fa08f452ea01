/**
 * What the out folder remembers between builds, in one place:
 *
 *   out/manifest.json          every output: its path, kind, city, language, hash, size, pages,
 *                              and the hash of its inputs (plan.ts keeps an output whose inputs
 *                              and file are unchanged)
 *   out/.citybrief/state.json  what the last build validated (cities by key) and each output's
 *                              size and mtime as written, so a rebuild with nothing to do reads
 *                              no YAML and hashes no PDF; it carries a hash of itself and is not
 *                              believed when edited
 *   out/.citybrief/lock        the build writing the folder (lock.ts)
 *
 * A build `recall`s what the folder remembers (sweeping the temporary files a killed build left),
 * and keeps a `Ledger` of what it writes. The manifest never names a file that is not as it says:
 * before the first output is replaced, it is rewritten without the outputs being rebuilt; each
 * output enters it as soon as both its files are written (checkpointed every CHECKPOINT
 * documents); and at the end it lists everything kept, written, or left as it was.
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { CityData } from './schema.js';
import { sha256, type Loaded } from './load.js';
import { sweepTemporaryFiles, syncFolders, writeAtomic } from './write.js';

export interface ManifestEntry {
  /** The city the output is about; null for documents about all cities (the overview). */
  readonly city: string | null;
  /** The kind of document: the name of its template (briefing, slides, overview in the bundled theme). */
  readonly kind: string;
  readonly format: 'pdf' | 'html';
  readonly lang: string;
  /** Relative to the out folder, with forward slashes. */
  readonly path: string;
  readonly sha256: string;
  readonly bytes: number;
  /** Page count for PDFs; null for HTML. */
  readonly pages: number | null;
  /** Hash of everything the output was made from; unchanged inputs mean the output is kept. */
  readonly inputs: string;
  /** The images the output shows, each with the hash of its bytes: a changed image rebuilds exactly the outputs that show it. */
  readonly assets?: Readonly<Record<string, string>>;
}

export interface Manifest {
  readonly outputs: readonly ManifestEntry[];
}

export const MANIFEST = 'manifest.json';

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

/** Write the manifest after this many documents, so an interrupted build keeps its progress. */
export const CHECKPOINT = 50;

/** What the out folder remembers, as a build finds it. */
export interface Remembered {
  readonly manifest: Manifest;
  /** Undefined when there is none, or it is not believed. */
  readonly state: State | undefined;
}

/** Read what the out folder remembers, and remove the temporary files a build that was killed left there. */
export async function recall(outDir: string): Promise<Remembered> {
  const [manifest, state] = await Promise.all([readManifest(outDir), readState(outDir), sweepTemporaryFiles(outDir)]);
  return { manifest, state };
}

export async function readManifest(outDir: string): Promise<Manifest> {
  try {
    const parsed = JSON.parse(await readFile(path.join(outDir, MANIFEST), 'utf8')) as Manifest;
    return Array.isArray(parsed.outputs) ? parsed : { outputs: [] };
  } catch {
    return { outputs: [] };
  }
}

/**
 * Write the manifest: `entries` replace earlier entries of the same path;
 * earlier entries for outputs this build did not touch stay (a `--city`
 * build keeps the other cities listed). `written` are the entries whose
 * files were written since the manifest was last written.
 */
export async function writeManifest(outDir: string, previous: Manifest, entries: readonly ManifestEntry[], written: Iterable<ManifestEntry> = []): Promise<Manifest> {
  // What the manifest names is on the disk before the manifest says so: the folders of the files written since it was last written.
  await syncFolders([...written].map((e) => path.dirname(path.join(outDir, e.path))));
  const byPath = new Map(previous.outputs.map((e) => [e.path, e]));
  for (const entry of entries) byPath.set(entry.path, entry);
  const outputs = [...byPath.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const manifest = { outputs };
  await writeAtomic(path.join(outDir, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

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
export function knownCities(state: State | undefined, version: string, loaded: Loaded): Map<string, CityData> {
  if (!state || state.version !== version || state.basis !== validationBasis(loaded)) return new Map();
  return new Map(Object.entries(state.cities));
}

/** The file is as the manifest describes it: same size and mtime as written, or else the same hash. */
export async function intact(outDir: string, entry: ManifestEntry, state: State | undefined): Promise<boolean> {
  const file = path.join(outDir, entry.path);
  const info = await stat(file).catch(() => undefined);
  if (!info?.isFile() || info.size !== entry.bytes) return false;
  const known = state?.outputs[entry.path];
  if (known && known.bytes === info.size && known.mtimeMs === info.mtimeMs) return true;
  return createHash('sha256').update(await readFile(file)).digest('hex') === entry.sha256;
}

/**
 * What the next build can reuse: validated cities by key, and each output's size and mtime. Only
 * files this build wrote or checked (`seen`) are recorded afresh; for the others the earlier record
 * stands, so a file damaged since then is still noticed by the build that next looks at it.
 */
export async function nextState(
  outDir: string,
  { version, loaded, validated, manifest, state, seen }: {
    readonly version: string;
    readonly loaded: Loaded;
    /** The cities this build validated, by key. */
    readonly validated: ReadonlyMap<string, CityData>;
    readonly manifest: Manifest;
    readonly state: State | undefined;
    readonly seen: ReadonlySet<string>;
  },
): Promise<State> {
  const outputs: Record<string, { bytes: number; mtimeMs: number }> = {};
  await Promise.all(
    manifest.outputs.map(async (entry) => {
      if (!seen.has(entry.path)) {
        const earlier = state?.outputs[entry.path];
        if (earlier) outputs[entry.path] = earlier;
        return;
      }
      const info = await stat(path.join(outDir, entry.path)).catch(() => undefined);
      if (info?.size === entry.bytes) outputs[entry.path] = { bytes: info.size, mtimeMs: info.mtimeMs };
    }),
  );
  const basis = validationBasis(loaded);
  const reusable = state && state.version === version && state.basis === basis ? state.cities : {};
  return {
    version,
    basis,
    cities: { ...Object.fromEntries(Object.entries(reusable).filter(([key]) => validated.has(key))), ...Object.fromEntries(validated) },
    outputs,
  };
}

/**
 * The record of one build's outputs, kept in the manifest as they are written.
 *
 * `open` is called before the first output is replaced; `record` with each file as soon as it is
 * written (so a PDF whose HTML then fails is still listed); `documentDone` after each document;
 * `close` at the end, whatever happened (a failure, a stop): the manifest then
 * lists the outputs kept, those written, and the earlier entries of those this build meant to
 * replace but did not (their files are still the earlier ones), and the state is written for the
 * next build.
 */
export class Ledger {
  readonly #outDir: string;
  readonly #previous: Manifest;
  readonly #kept: readonly ManifestEntry[];
  readonly #rebuilding: ReadonlySet<string>;
  readonly #written: ManifestEntry[] = [];
  /** How many of the written outputs the manifest on disk names. */
  #recorded = 0;
  #documents = 0;
  #checkpointAt = CHECKPOINT;
  #manifest: Manifest;
  /** Manifest writes, one after the other. */
  #writing: Promise<unknown> = Promise.resolve();
  /** What to tell the printer once the manifest on disk names a document (documentDone). */
  #unrecorded: (() => Promise<void>)[] = [];

  constructor(outDir: string, previous: Manifest, kept: readonly ManifestEntry[], rebuilding: ReadonlySet<string>) {
    this.#outDir = outDir;
    this.#previous = previous;
    this.#kept = kept;
    this.#rebuilding = rebuilding;
    this.#manifest = previous;
  }

  /** Outputs written by this build, in the order they were written. */
  get written(): readonly ManifestEntry[] {
    return this.#written;
  }

  /** From the first replacement on, the manifest on disk names only the outputs this build keeps or does not touch. */
  async open(): Promise<void> {
    await this.#write(() => writeManifest(this.#outDir, { outputs: this.#previous.outputs.filter((e) => !this.#rebuilding.has(e.path)) }, []));
  }

  /** A file of this build's, written: it is listed from the next manifest write on. */
  record(entry: ManifestEntry): void {
    this.#written.push(entry);
  }

  /**
   * A document is done. Every CHECKPOINT documents the manifest is written, so an interrupted build
   * resumes from there. `recorded`, when given, is called once the manifest on disk names the document: a printer that
   * kept its PDF for a build started again after this one was killed may then let go of it.
   */
  async documentDone(recorded?: () => Promise<void>): Promise<void> {
    if (recorded) this.#unrecorded.push(recorded);
    if (++this.#documents < this.#checkpointAt) return;
    this.#checkpointAt = this.#documents + CHECKPOINT;
    const upTo = this.#written.length;
    const fresh = this.#written.slice(this.#recorded, upTo);
    this.#recorded = upTo;
    const due = this.#unrecorded.splice(0);
    await this.#write((manifest) => writeManifest(this.#outDir, manifest, [...this.#kept, ...this.#written.slice(0, upTo)], fresh));
    await Promise.all(due.map((tell) => tell()));
  }

  /** The manifest as this build leaves it, and the state for the next build. */
  async close(next: Omit<Parameters<typeof nextState>[1], 'manifest' | 'seen'>): Promise<Manifest> {
    const replaced = new Set(this.#written.map((e) => e.path));
    // An output this build did not replace (it failed, or the build was stopped first) still has its earlier file: list it as before.
    const untouched = this.#previous.outputs.filter((e) => this.#rebuilding.has(e.path) && !replaced.has(e.path));
    const fresh = this.#written.slice(this.#recorded);
    this.#recorded = this.#written.length;
    const due = this.#unrecorded.splice(0);
    const manifest = await this.#write((current) => writeManifest(this.#outDir, current, [...untouched, ...this.#kept, ...this.#written], fresh));
    await Promise.all(due.map((tell) => tell()));
    const seen = new Set([...this.#kept, ...this.#written].map((e) => e.path));
    await writeState(this.#outDir, await nextState(this.#outDir, { ...next, manifest, seen }));
    return manifest;
  }

  #write(write: (current: Manifest) => Promise<Manifest>): Promise<Manifest> {
    const done = this.#writing.then(async () => (this.#manifest = await write(this.#manifest)));
    this.#writing = done.catch(() => {});
    return done;
  }
}
