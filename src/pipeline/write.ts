/**
 * Stage 8 — write: every file goes to a temporary name in its final folder
 * and is renamed into place, so a reader never sees half a file and a failed
 * build never replaces a good output with a broken one. PDFs are parsed back
 * (page count > 0) before they are renamed. The manifest is written last.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { WriteError } from '../errors.js';
import { msg } from '../messages.js';

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

/** Write `data` to `file` atomically: temp file beside it, then rename. */
export async function writeAtomic(file: string, data: Uint8Array | string): Promise<void> {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    // The folder usually exists; create it only when the write says it does not.
    await writeFile(temp, data).catch(async (error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(temp, data);
    });
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw new WriteError(msg.writeFailed(file, (error as Error).message), { cause: error });
  }
}

/**
 * Write one output atomically and describe it for the manifest. `pages` is
 * the page count the finish stage read while rewriting the PDF (null for
 * HTML); a PDF without pages never replaces an earlier file.
 */
export async function writeOutput(
  outDir: string,
  entry: Omit<ManifestEntry, 'sha256' | 'bytes' | 'pages'>,
  data: Uint8Array | string,
  pages: number | null,
): Promise<ManifestEntry> {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  if (entry.format === 'pdf' && !(pages && pages > 0)) throw new WriteError(msg.emptyPdf(entry.path));
  await writeAtomic(path.join(outDir, entry.path), bytes);
  return { ...entry, sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.byteLength, pages };
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
 * build keeps the other cities listed).
 */
export async function writeManifest(outDir: string, previous: Manifest, entries: readonly ManifestEntry[]): Promise<Manifest> {
  const byPath = new Map(previous.outputs.map((e) => [e.path, e]));
  for (const entry of entries) byPath.set(entry.path, entry);
  const outputs = [...byPath.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const manifest = { outputs };
  await writeAtomic(path.join(outDir, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}
