/**
 * Stage 9 — write: every file goes to a temporary name in its final folder,
 * is flushed to the disk, and is renamed into place, so a reader never sees
 * half a file, a failed build never replaces a good output with a broken one,
 * and a power loss leaves the old file or the new one. PDFs are checked
 * (page count > 0) before they are renamed. The folders holding what was
 * written are flushed before the manifest names it; the manifest is written
 * last.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
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

/** Temporary files writeAtomic leaves only if the process dies between writing and renaming them. */
const TEMP = /^\..+\.[0-9a-f]{12}\.tmp$/;

/** Write `data` to `file` atomically: temp file beside it, flushed to the disk, then renamed. */
export async function writeAtomic(file: string, data: Uint8Array | string): Promise<void> {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  const write = async () => {
    const handle = await open(temp, 'w');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
  };
  try {
    // The folder usually exists; create it only when the write says it does not.
    await write().catch(async (error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
      await mkdir(path.dirname(file), { recursive: true });
      await write();
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

/**
 * Flush folders to the disk, so the renames into them survive a power loss.
 * Some systems (Windows) cannot open a folder for that; there a rename is
 * as durable as the system makes it.
 */
export async function syncFolders(folders: Iterable<string>): Promise<void> {
  await Promise.all(
    [...new Set(folders)].map(async (folder) => {
      const handle = await open(folder, 'r').catch(() => undefined);
      if (!handle) return;
      try {
        await handle.sync().catch(() => {});
      } finally {
        await handle.close();
      }
    }),
  );
}

/** Remove the temporary files an earlier build left when it was killed mid-write (only citybrief's own, by their name). */
export async function sweepTemporaryFiles(outDir: string): Promise<number> {
  const entries = await readdir(outDir, { recursive: true, withFileTypes: true }).catch(() => []);
  const stale = entries.filter((d) => d.isFile() && TEMP.test(d.name)).map((d) => path.join(d.parentPath, d.name));
  await Promise.all(stale.map((file) => rm(file, { force: true })));
  return stale.length;
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
