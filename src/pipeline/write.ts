/**
 * Stage 8 — write: every file goes to a temporary name in its final folder
 * and is renamed into place, so a reader never sees half a file and a failed
 * build never replaces a good output with a broken one. PDFs are parsed back
 * (page count > 0) before they are renamed. The manifest is written last.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Kind } from '../config.js';
import { WriteError } from '../errors.js';

export interface ManifestEntry {
  /** The city the output is about; null for documents about all cities (the overview). */
  readonly city: string | null;
  readonly kind: Kind;
  readonly format: 'pdf' | 'html';
  readonly lang: string;
  /** Relative to the out folder, with forward slashes. */
  readonly path: string;
  readonly sha256: string;
  readonly bytes: number;
  /** Page count for PDFs; null for HTML. */
  readonly pages: number | null;
}

export interface Manifest {
  readonly outputs: readonly ManifestEntry[];
}

export const MANIFEST = 'manifest.json';

/** Write `data` to `file` atomically: temp file beside it, then rename. */
export async function writeAtomic(file: string, data: Uint8Array | string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(temp, data);
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw new WriteError(`could not write ${file}: ${(error as Error).message}. Check that the out folder is writable and the disk has room.`, { cause: error });
  }
}

/** Page count of a PDF, parsed; throws if it is not a readable PDF with pages. */
export async function pdfPageCount(pdf: Uint8Array): Promise<number> {
  const { PDFDocument } = await import('pdf-lib');
  const doc = await PDFDocument.load(pdf, { updateMetadata: false });
  const pages = doc.getPageCount();
  if (pages < 1) throw new Error('the PDF has no pages');
  return pages;
}

export async function writeOutput(
  outDir: string,
  entry: Omit<ManifestEntry, 'sha256' | 'bytes' | 'pages'>,
  data: Uint8Array | string,
): Promise<ManifestEntry> {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  let pages: number | null = null;
  if (entry.format === 'pdf') {
    try {
      pages = await pdfPageCount(bytes);
    } catch (error) {
      throw new WriteError(`the PDF printed for ${entry.path} is not readable (${(error as Error).message}); the previous ${entry.path} was kept.`, { cause: error });
    }
  }
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
 * Write the manifest: the new entries, plus earlier entries for outputs this
 * build did not touch (a `--city` build keeps the other cities listed).
 */
export async function writeManifest(outDir: string, fresh: readonly ManifestEntry[], keepOthers: boolean): Promise<Manifest> {
  const written = new Set(fresh.map((e) => e.path));
  const kept = keepOthers ? (await readManifest(outDir)).outputs.filter((e) => !written.has(e.path)) : [];
  const outputs = [...kept, ...fresh].sort((a, b) => a.path.localeCompare(b.path));
  const manifest = { outputs };
  await writeAtomic(path.join(outDir, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}
