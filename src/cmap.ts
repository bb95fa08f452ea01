/**
 * The characters a WOFF2 font file has glyphs for, read from its cmap table.
 *
 * fontkit answers the same question, but it decompresses WOFF2 with a
 * JavaScript Brotli decoder and rebuilds the whole font first: several
 * milliseconds per file, and a build checks a hundred files or more (see
 * hasGlyph in fonts.ts). Node's own Brotli and the one table needed take a
 * fraction of that. tests/unit/cmap.test.ts compares the result with fontkit
 * for every bundled file.
 *
 * WOFF2: https://www.w3.org/TR/WOFF2/ (header, table directory, one Brotli
 * stream holding the tables in directory order). cmap: the OpenType spec,
 * subtable formats 4 (BMP) and 12 (all planes).
 */
import { brotliDecompressSync } from 'node:zlib';

/** The 63 tags a WOFF2 table directory names by index (section 5.1 of the spec). */
const KNOWN_TAGS = [
  'cmap', 'head', 'hhea', 'hmtx', 'maxp', 'name', 'OS/2', 'post', 'cvt ', 'fpgm', 'glyf', 'loca', 'prep', 'CFF ', 'VORG', 'EBDT',
  'EBLC', 'gasp', 'hdmx', 'kern', 'LTSH', 'PCLT', 'VDMX', 'vhea', 'vmtx', 'BASE', 'GDEF', 'GPOS', 'GSUB', 'EBSC', 'JSTF', 'MATH',
  'CBDT', 'CBLC', 'COLR', 'CPAL', 'SVG ', 'sbix', 'acnt', 'avar', 'bdat', 'bloc', 'bsln', 'cvar', 'fdsc', 'feat', 'fmtx', 'fvar',
  'gvar', 'hsty', 'just', 'lcar', 'mort', 'morx', 'opbd', 'prop', 'trak', 'Zapf', 'Silf', 'Glat', 'Gloc', 'Feat', 'Sill',
];

export class FontFileError extends Error {}

/** Code points with a glyph (other than .notdef) in the WOFF2 file's best Unicode cmap subtable. */
export function woff2CodePoints(file: Uint8Array): Set<number> {
  const data = Buffer.from(file.buffer, file.byteOffset, file.byteLength);
  if (data.toString('latin1', 0, 4) !== 'wOF2') throw new FontFileError('not a WOFF2 file');
  const numTables = data.readUInt16BE(12);
  const compressedLength = data.readUInt32BE(20);
  let at = 48;
  const base128 = () => {
    let value = 0;
    for (let i = 0; i < 5; i++) {
      const byte = data[at++]!;
      value = value * 128 + (byte & 0x7f);
      if (!(byte & 0x80)) return value;
    }
    throw new FontFileError('bad UIntBase128 in the table directory');
  };
  // Where each table starts in the decompressed stream: tables follow one another in directory order.
  let offset = 0;
  let cmap: { offset: number; length: number } | undefined;
  for (let i = 0; i < numTables; i++) {
    const flags = data[at++]!;
    let tag = KNOWN_TAGS[flags & 0x3f];
    if ((flags & 0x3f) === 0x3f) {
      tag = data.toString('latin1', at, at + 4);
      at += 4;
    }
    const version = flags >> 6;
    const length = base128();
    // glyf and loca are transformed unless version 3; every other table only if its version is not 0.
    const transformed = tag === 'glyf' || tag === 'loca' ? version !== 3 : version !== 0;
    const stored = transformed ? base128() : length;
    if (tag === 'cmap') cmap = { offset, length: stored };
    offset += stored;
  }
  if (!cmap) throw new FontFileError('the font has no cmap table');
  const tables = brotliDecompressSync(data.subarray(at, at + compressedLength));
  const cps = new Set<number>();
  readCmap(tables.subarray(cmap.offset, cmap.offset + cmap.length), (cp) => cps.add(cp));
  return cps;
}

/** Each character of a cmap table's best Unicode subtable with its glyph (other than .notdef), in the subtable's order. */
export function readCmap(cmap: Buffer, add: (cp: number, glyph: number) => void): void {
  const count = cmap.readUInt16BE(2);
  let format4: number | undefined;
  let format12: number | undefined;
  for (let i = 0; i < count; i++) {
    const platform = cmap.readUInt16BE(4 + i * 8);
    const encoding = cmap.readUInt16BE(6 + i * 8);
    const offset = cmap.readUInt32BE(8 + i * 8);
    const format = cmap.readUInt16BE(offset);
    const unicode = platform === 0 || (platform === 3 && (encoding === 1 || encoding === 10));
    if (!unicode) continue;
    if (format === 12) format12 ??= offset;
    else if (format === 4) format4 ??= offset;
  }
  if (format12 !== undefined) {
    const groups = cmap.readUInt32BE(format12 + 12);
    for (let g = 0; g < groups; g++) {
      const at = format12 + 16 + g * 12;
      const start = cmap.readUInt32BE(at);
      const end = cmap.readUInt32BE(at + 4);
      const glyph = cmap.readUInt32BE(at + 8);
      for (let cp = start; cp <= end; cp++) if (glyph + (cp - start) !== 0) add(cp, glyph + (cp - start));
    }
    return;
  }
  if (format4 === undefined) throw new FontFileError('the font has no Unicode cmap subtable of format 4 or 12');
  const segments = cmap.readUInt16BE(format4 + 6) / 2;
  const ends = format4 + 14;
  const starts = ends + segments * 2 + 2;
  const deltas = starts + segments * 2;
  const rangeOffsets = deltas + segments * 2;
  for (let s = 0; s < segments; s++) {
    const end = cmap.readUInt16BE(ends + s * 2);
    const start = cmap.readUInt16BE(starts + s * 2);
    const delta = cmap.readUInt16BE(deltas + s * 2);
    const rangeOffset = cmap.readUInt16BE(rangeOffsets + s * 2);
    for (let cp = start; cp <= end && cp !== 0xffff; cp++) {
      let glyph: number;
      if (rangeOffset === 0) glyph = (cp + delta) & 0xffff;
      else {
        const at = rangeOffsets + s * 2 + rangeOffset + (cp - start) * 2;
        glyph = cmap.readUInt16BE(at);
        if (glyph !== 0) glyph = (glyph + delta) & 0xffff;
      }
      if (glyph !== 0) add(cp, glyph);
    }
  }
}
