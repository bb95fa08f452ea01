/**
 * Images a project's documents may show: files in its assets folder, named
 * relative to it (logo.svg, photos/riverton.jpg) in data, in the project
 * file or in a template ({{asset "logo.svg"}}). A name is checked before
 * anything is built: it must stay inside the folder (no "..", no absolute
 * path, no link that leads out), be a regular file, and hold a PNG, JPEG,
 * SVG or WebP image. The print stage serves the bytes from memory at
 * assets/<name>, the same address the HTML outputs use (out/assets/).
 */
import { createHash } from 'node:crypto';
import { closeSync, openSync, readFileSync, readSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { msg } from './messages.js';

/** An image larger than this is refused: a briefing's photo is a few megabytes at most. */
export const MAX_ASSET_BYTES = 32 * 1024 * 1024;

export interface Asset {
  readonly name: string;
  readonly bytes: Buffer;
  readonly sha256: string;
  readonly contentType: string;
}

const TYPES = [
  { type: 'image/png', test: (b: Buffer) => b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) },
  { type: 'image/jpeg', test: (b: Buffer) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff },
  { type: 'image/webp', test: (b: Buffer) => b.toString('latin1', 0, 4) === 'RIFF' && b.toString('latin1', 8, 12) === 'WEBP' },
  {
    type: 'image/svg+xml',
    // An XML declaration, comments and a doctype may stand before the <svg> element.
    test: (b: Buffer) => /^\uFEFF?\s*(?:<\?xml[^>]*>\s*)?(?:<!--[\s\S]*?-->\s*|<!DOCTYPE[^>[]*(?:\[[\s\S]*?\])?\s*>\s*)*<svg[\s>]/i.test(b.toString('utf8')),
  },
] as const;

/** The image type of a file's first bytes, or undefined for anything else. */
export function imageType(head: Buffer): string | undefined {
  return TYPES.find((t) => t.test(head))?.type;
}

/** Whether a name is written as an asset name: relative, forward slashes, no "." or ".." segment, no control characters. */
function wellFormed(name: string): boolean {
  return name.length > 0 && !name.startsWith('/') && !/[\\\0-\x1f\x7f]/.test(name) && !/^[a-z]:/i.test(name) && name.split('/').every((s) => s !== '' && s !== '.' && s !== '..');
}

/**
 * Check one name against the assets folder. Returns what is wrong, as the end of a located
 * message ("names …: what to do"), or undefined when the name is a usable image.
 */
export function assetProblem(assetsDir: string, shownDir: string, name: string): string | undefined {
  if (!wellFormed(name)) return msg.assetOutside(name, shownDir);
  const file = path.join(assetsDir, ...name.split('/'));
  let real: string;
  try {
    real = realpathSync(file);
  } catch {
    return msg.assetMissing(name, shownDir);
  }
  // A link inside the folder that leads out of it is as good as a "..".
  const root = (() => {
    try {
      return realpathSync(assetsDir);
    } catch {
      return path.resolve(assetsDir);
    }
  })();
  if (!real.startsWith(root + path.sep)) return msg.assetOutside(name, shownDir);
  const info = statSync(real);
  if (!info.isFile()) return msg.assetNotFile(name);
  if (info.size > MAX_ASSET_BYTES) return msg.assetTooLarge(name, info.size, MAX_ASSET_BYTES);
  const head = Buffer.alloc(4096);
  const fd = openSync(real, 'r');
  try {
    const n = readSync(fd, head, 0, head.length, 0);
    if (!imageType(head.subarray(0, n))) return msg.assetNotImage(name);
  } finally {
    closeSync(fd);
  }
  return undefined;
}

/** The URL of an asset from a document `depth` folders below out/: assets/logo.svg, ../assets/photos/a%20b.jpg. */
export function assetUrl(name: string, depth: number): string {
  return `${'../'.repeat(depth)}assets/${name.split('/').map(encodeURIComponent).join('/')}`;
}

/** The asset name a path below the out folder (or the print origin) stands for, or undefined. */
export function assetName(pathname: string): string | undefined {
  const m = /^\/?assets\/(.+)$/.exec(pathname);
  if (!m) return undefined;
  try {
    const name = m[1]!.split('/').map(decodeURIComponent).join('/');
    return wellFormed(name) ? name : undefined;
  } catch {
    return undefined;
  }
}

/** The build's assets, each read once when first used; names must have been checked with assetProblem. */
export function assetStore(assetsDir: string): { get(name: string): Asset } {
  const read = new Map<string, Asset>();
  return {
    get(name) {
      let asset = read.get(name);
      if (!asset) {
        const bytes = readFileSync(path.join(assetsDir, ...name.split('/')));
        asset = { name, bytes, sha256: createHash('sha256').update(bytes).digest('hex'), contentType: imageType(bytes.subarray(0, 4096)) ?? 'application/octet-stream' };
        read.set(name, asset);
      }
      return asset;
    },
  };
}
