/**
 * Stage 9 — write: every file goes to a temporary name in its final folder,
 * is flushed to the disk, and is renamed into place, so a reader never sees
 * half a file, a failed build never replaces a good output with a broken one,
 * and a power loss leaves the old file or the new one. PDFs are checked
 * (page count > 0) before they are renamed. The folders holding what was
 * written are flushed before the manifest names it (state.ts keeps the
 * manifest).
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Asset } from '../assets.js';
import { WriteError } from '../errors.js';
import { fontLicences, type FontFace } from '../fonts.js';
import { msg } from '../messages.js';
import type { ManifestEntry } from './state.js';

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

/** Images HTML outputs show (assets/ in the out folder), as the project has them. */
export async function copyAssets(outDir: string, assets: readonly Asset[], copied: Set<string>): Promise<void> {
  for (const asset of assets) {
    const target = path.join(outDir, 'assets', ...asset.name.split('/'));
    const key = `${target}\0${asset.sha256}`;
    if (copied.has(key)) continue;
    // An image changed since the last build is written again; an unchanged one is left as it is.
    const current = await readFile(target).catch(() => undefined);
    if (!current || !current.equals(asset.bytes)) await writeAtomic(target, asset.bytes);
    copied.add(key);
  }
}

/** Font files HTML outputs refer to (fonts/ beside the documents), so the HTML opens with its own type. */
export async function copyFonts(outDir: string, faces: readonly FontFace[], copied: Set<string>): Promise<void> {
  const dir = path.join(outDir, 'fonts');
  const files = [
    ...faces.map((face) => ({ file: face.file, data: () => readFile(face.absPath) })),
    // Each family's licence goes with its files.
    ...fontLicences(faces).map((l) => ({ file: l.file, data: async () => l.text })),
  ];
  for (const { file, data } of files) {
    const target = path.join(dir, file);
    if (copied.has(target)) continue;
    const exists = await stat(target).then((s) => s.isFile(), () => false);
    if (!exists) await writeAtomic(target, await data());
    copied.add(target);
  }
}
