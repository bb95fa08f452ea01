/**
 * The Chromium shipped inside the @sparticuz/chromium npm package, unpacked
 * once per package version and per user. The package's own unpacking puts
 * the binary at one fixed place in the system temp folder and reuses
 * whatever it finds there: after an upgrade the old browser kept printing,
 * and a second user of the machine met the first user's file. So citybrief
 * unpacks `bin/chromium.br` itself, into `citybrief-chromium-<version>-<uid>`
 * in the temp folder: a folder only its user may write, checked before every
 * use (a folder another user made, or others may write, is never used), the
 * binary written under a temporary name and renamed into place. Only the
 * browser is unpacked: citybrief prints with its own fonts and no GPU, so the
 * package's fonts and graphics libraries are not needed, and nothing of the
 * package is imported (its module sets environment variables when loaded).
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, readFileSync } from 'node:fs';
import { chmod, lstat, mkdir, rename, rm, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createBrotliDecompress } from 'node:zlib';
import { msg } from '../messages.js';

/** The @sparticuz/chromium package: its folder and version. */
export function bundledPackage(): { readonly dir: string; readonly version: string } {
  let dir = path.dirname(createRequire(import.meta.url).resolve('@sparticuz/chromium'));
  // The entry point lies below the package folder (build/cjs/index.cjs): walk up to its package.json.
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string; version: string };
      if (pkg.name === '@sparticuz/chromium') return { dir, version: pkg.version };
    } catch {
      // not the package folder yet
    }
    const up = path.dirname(dir);
    if (up === dir) throw new Error('the @sparticuz/chromium package folder was not found');
    dir = up;
  }
}

/** Where this version's browser is unpacked for this user. */
export function bundledFolder(version: string, root: string = tmpdir()): string {
  return path.join(root, `citybrief-chromium-${version}-${process.getuid?.() ?? 'user'}`);
}

/**
 * The bundled browser's executable, unpacked first if this version is not yet unpacked for this
 * user. `root` is the folder to unpack under (default: the system temp folder).
 */
export async function bundledChromium(root: string = tmpdir()): Promise<string> {
  const { dir, version } = bundledPackage();
  const folder = bundledFolder(version, root);
  await mkdir(folder, { recursive: true, mode: 0o700 });
  // A folder that is a link, another user's, or writable by others could hold someone else's program.
  const info = await lstat(folder);
  const uid = process.getuid?.();
  if (!info.isDirectory() || (uid !== undefined && info.uid !== uid) || (info.mode & 0o022) !== 0) throw new Error(msg.unsafeBrowserFolder(folder));
  const executable = path.join(folder, 'chromium');
  if (await stat(executable).then((s) => s.isFile(), () => false)) return executable;
  const temp = path.join(folder, `.chromium.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await pipeline(createReadStream(path.join(dir, 'bin', 'chromium.br')), createBrotliDecompress(), createWriteStream(temp, { mode: 0o700 }));
    await chmod(temp, 0o700);
    await rename(temp, executable);
  } finally {
    await rm(temp, { force: true });
  }
  return executable;
}
