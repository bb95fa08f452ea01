/**
 * One TrueType font from the unicode-range subsets of one face (a family at
 * one weight), for printing.
 *
 * Chromium embeds every font file a document's text touches as a font of its
 * own in the PDF: a briefing set in 15 subsets of Noto Sans TC per weight
 * embeds 30 fonts. Printed with one font per face, it embeds one per face.
 * The subsets are cut from the same font, so their glyphs can be put side by
 * side in one file: each subset's glyphs keep their order and are numbered
 * after the previous subset's, and one cmap maps each character to the
 * glyph of the subset the stylesheet would have drawn it with.
 *
 * Layout tables (GSUB, GPOS, GDEF, BASE) number glyphs, and are kept from one
 * subset only, the base, whose glyphs come first and so keep their numbers:
 * the subset that draws basic Latin (its kerning and ligatures), which in
 * Noto Sans TC and SC also has the common CJK punctuation. The other
 * subsets' layout tables only repeated features for the few characters each
 * has, and a run of text in them was shaped apart from its neighbours
 * anyway.
 *
 * Input: sfnt tables as WOFF 1.0 stores them (zlib, no transforms:
 * https://www.w3.org/TR/WOFF/), or a bare sfnt. Output: a bare sfnt with
 * long loca offsets and a format 12 cmap (OpenType spec, "cmap", "glyf",
 * "loca", "hmtx", "maxp").
 */
import { deflateSync, inflateSync } from 'node:zlib';
import { FontFileError, readCmap } from './cmap.js';

/** A font's tables by tag, each decompressed the first time it is read (most of a subset's are not). */
export interface Tables {
  readonly tags: readonly string[];
  has(tag: string): boolean;
  get(tag: string): Buffer | undefined;
}

/** The tables of a WOFF 1.0 file or a bare TrueType sfnt. */
export function sfntTables(file: Buffer): Tables {
  const stored = new Map<string, { data: Buffer; length: number }>();
  const signature = file.toString('latin1', 0, 4);
  if (signature === 'wOFF') {
    const count = file.readUInt16BE(12);
    for (let i = 0; i < count; i++) {
      const at = 44 + i * 20;
      const offset = file.readUInt32BE(at + 4);
      stored.set(file.toString('latin1', at, at + 4), { data: file.subarray(offset, offset + file.readUInt32BE(at + 8)), length: file.readUInt32BE(at + 12) });
    }
  } else if (file.readUInt32BE(0) === 0x00010000 || signature === 'true') {
    const count = file.readUInt16BE(4);
    for (let i = 0; i < count; i++) {
      const at = 12 + i * 16;
      const offset = file.readUInt32BE(at + 8);
      const length = file.readUInt32BE(at + 12);
      stored.set(file.toString('latin1', at, at + 4), { data: file.subarray(offset, offset + length), length });
    }
  } else throw new FontFileError('not a WOFF 1.0 file or a TrueType font');
  for (const tag of ['head', 'hhea', 'maxp', 'hmtx', 'loca', 'glyf', 'cmap']) if (!stored.has(tag)) throw new FontFileError(`the font has no ${tag} table`);
  const read = new Map<string, Buffer>();
  return {
    tags: [...stored.keys()],
    has: (tag) => stored.has(tag),
    get(tag) {
      let table = read.get(tag);
      const entry = stored.get(tag);
      if (!table && entry) {
        table = entry.data.length < entry.length ? inflateSync(entry.data, { chunkSize: Math.max(entry.length, 64) }) : entry.data;
        read.set(tag, table);
      }
      return table;
    },
  };
}

/** Character to glyph, from the font's best Unicode cmap subtable. */
export function glyphMap(tables: Tables): Map<number, number> {
  const map = new Map<number, number>();
  readCmap(tables.get('cmap')!, (cp, glyph) => map.set(cp, glyph));
  return map;
}

/** Tables that number glyphs or depend on sizes, dropped; the merged font has its own of those it needs. */
const REBUILT = new Set(['glyf', 'loca', 'hmtx', 'hhea', 'vmtx', 'vhea', 'maxp', 'head', 'cmap', 'post', 'OS/2', 'hdmx', 'LTSH', 'VDMX', 'DSIG']);

/**
 * One font of `parts` (the first is the base: its layout tables are kept), with `cmap`: each
 * character mapped to a glyph of one part, as [part, glyph in that part]. With `included`, only
 * those parts' glyphs have outlines: every other glyph is empty, but keeps its number, metrics and
 * character, so text is laid out, and falls back to the next font, as with every outline.
 */
export function mergeFonts(parts: readonly Tables[], cmap: ReadonlyMap<number, readonly [number, number]>, included: (part: number) => boolean = () => true): Buffer {
  const base = parts[0];
  if (!base) throw new FontFileError('no fonts to merge');
  const glyphCount = (t: Tables) => t.get('maxp')!.readUInt16BE(4);
  const first: number[] = [];
  let total = 0;
  for (const part of parts) {
    first.push(total);
    total += glyphCount(part);
  }
  if (total > 0xffff) throw new FontFileError(`${total} glyphs are more than a font can hold`);
  const vertical = parts.every((t) => t.has('vhea') && t.has('vmtx'));

  const hmtx = Buffer.alloc(total * 4);
  const vmtx = vertical ? Buffer.alloc(total * 4) : undefined;
  /** Each part's glyphs: where each starts in its glyf table, and where the last ends. */
  const starts: Uint32Array[] = [];
  parts.forEach((part, p) => {
    const n = glyphCount(part);
    const long = part.get('head')!.readInt16BE(50) === 1;
    const partLoca = part.get('loca')!;
    starts.push(Uint32Array.from({ length: n + 1 }, (_, g) => (long ? partLoca.readUInt32BE(g * 4) : partLoca.readUInt16BE(g * 2) * 2)));
    const metrics = (table: Buffer, longCount: number, into: Buffer) => {
      for (let g = 0; g < n; g++) {
        const advance = table.readUInt16BE(Math.min(g, longCount - 1) * 4);
        const bearing = g < longCount ? table.readInt16BE(g * 4 + 2) : table.readInt16BE(longCount * 4 + (g - longCount) * 2);
        into.writeUInt16BE(advance, (first[p]! + g) * 4);
        into.writeInt16BE(bearing, (first[p]! + g) * 4 + 2);
      }
    };
    metrics(part.get('hmtx')!, part.get('hhea')!.readUInt16BE(34), hmtx);
    if (vmtx) metrics(part.get('vmtx')!, part.get('vhea')!.readUInt16BE(34), vmtx);
  });

  // glyf and loca, each glyph at a 4-byte boundary: the table's size first, then one copy into it.
  const outlines = () => {
    let size = 0;
    parts.forEach((_, p) => {
      if (!included(p)) return;
      const at = starts[p]!;
      for (let g = 0; g + 1 < at.length; g++) size += (at[g + 1]! - at[g]! + 3) & ~3;
    });
    const glyf = Buffer.alloc(size);
    const loca = Buffer.alloc((total + 1) * 4);
    let offset = 0;
    parts.forEach((part, p) => {
      const at = starts[p]!;
      const partGlyf = included(p) ? part.get('glyf')! : undefined;
      for (let g = 0; g + 1 < at.length; g++) {
        loca.writeUInt32BE(offset, (first[p]! + g) * 4);
        if (!partGlyf) continue;
        const length = partGlyf.copy(glyf, offset, at[g]!, at[g + 1]!);
        if (length >= 10 && glyf.readInt16BE(offset) < 0) renumberComponents(glyf.subarray(offset, offset + length), first[p]!);
        offset += (length + 3) & ~3;
      }
    });
    loca.writeUInt32BE(offset, total * 4);
    return { glyf, loca };
  };

  const out = new Map<string, Buffer>();
  for (const tag of base.tags) if (!REBUILT.has(tag)) out.set(tag, base.get(tag)!);
  out.set('hmtx', hmtx);

  const head = Buffer.from(base.get('head')!);
  head.writeUInt32BE(0, 8); // checkSumAdjustment, set below
  head.writeInt16BE(1, 50); // long loca offsets
  const heads = parts.map((t) => t.get('head')!);
  head.writeInt16BE(Math.min(...heads.map((h) => h.readInt16BE(36))), 36);
  head.writeInt16BE(Math.min(...heads.map((h) => h.readInt16BE(38))), 38);
  head.writeInt16BE(Math.max(...heads.map((h) => h.readInt16BE(40))), 40);
  head.writeInt16BE(Math.max(...heads.map((h) => h.readInt16BE(42))), 42);
  out.set('head', head);

  // Horizontal and vertical headers: the extremes of all parts, and a metric for every glyph.
  const header = (tag: 'hhea' | 'vhea') => {
    const merged = Buffer.from(base.get(tag)!);
    const all = parts.map((t) => t.get(tag)!);
    merged.writeUInt16BE(Math.max(...all.map((h) => h.readUInt16BE(10))), 10);
    merged.writeInt16BE(Math.min(...all.map((h) => h.readInt16BE(12))), 12);
    merged.writeInt16BE(Math.min(...all.map((h) => h.readInt16BE(14))), 14);
    merged.writeInt16BE(Math.max(...all.map((h) => h.readInt16BE(16))), 16);
    merged.writeUInt16BE(total, 34);
    return merged;
  };
  out.set('hhea', header('hhea'));
  if (vmtx) {
    out.set('vhea', header('vhea'));
    out.set('vmtx', vmtx);
  }

  // maxp: the glyph count, and each of TrueType's limits (version 1.0) at its largest in any part.
  const maxp = Buffer.from(base.get('maxp')!);
  maxp.writeUInt16BE(total, 4);
  if (maxp.readUInt32BE(0) === 0x00010000) {
    for (let at = 6; at + 2 <= Math.min(maxp.length, 32); at += 2) maxp.writeUInt16BE(Math.max(...parts.map((t) => t.get('maxp')!.readUInt16BE(at))), at);
  }
  out.set('maxp', maxp);

  // post version 3: no glyph names (the parts' names would number glyphs too).
  const post = Buffer.from(base.get('post')!.subarray(0, 32));
  post.writeUInt32BE(0x00030000, 0);
  out.set('post', post);

  const entries = [...cmap].map(([cp, [p, g]]) => [cp, first[p]! + g] as const).sort((a, b) => a[0] - b[0]);
  out.set('cmap', cmapTable(entries));

  const os2 = base.get('OS/2');
  if (os2) {
    const merged = Buffer.from(os2);
    // The Unicode ranges and code pages any part covers; the first and last character (BMP).
    for (const at of [42, 46, 50, 54, ...(merged.readUInt16BE(0) >= 1 ? [78, 82] : [])]) {
      merged.writeUInt32BE(parts.reduce((bits, t) => (bits | (t.get('OS/2')?.readUInt32BE(at) ?? 0)) >>> 0, 0), at);
    }
    if (entries.length > 0) {
      merged.writeUInt16BE(Math.min(entries[0]![0], 0xffff), 64);
      merged.writeUInt16BE(Math.min(entries.at(-1)![0], 0xffff), 66);
    }
    out.set('OS/2', merged);
  }
  const { glyf, loca } = outlines();
  return sfnt(new Map([...out, ['glyf', glyf], ['loca', loca]]));
}

/** A composite glyph's components' glyph numbers moved by `by`, in place. */
function renumberComponents(copy: Buffer, by: number): void {
  let at = 10;
  for (;;) {
    const flags = copy.readUInt16BE(at);
    copy.writeUInt16BE(copy.readUInt16BE(at + 2) + by, at + 2);
    at += 4 + (flags & 0x1 ? 4 : 2); // ARG_1_AND_2_ARE_WORDS
    if (flags & 0x8) at += 2; // WE_HAVE_A_SCALE
    else if (flags & 0x40) at += 4; // WE_HAVE_AN_X_AND_Y_SCALE
    else if (flags & 0x80) at += 8; // WE_HAVE_A_TWO_BY_TWO
    if (!(flags & 0x20)) return; // MORE_COMPONENTS
  }
}

/** A cmap with one format 12 subtable, for Unicode (3, 10) and (0, 4): every plane. */
function cmapTable(entries: readonly (readonly [number, number])[]): Buffer {
  const groups: [number, number, number][] = [];
  for (const [cp, glyph] of entries) {
    const last = groups.at(-1);
    if (last && cp === last[1] + 1 && glyph === last[2] + (cp - last[0])) last[1] = cp;
    else groups.push([cp, cp, glyph]);
  }
  const subtable = Buffer.alloc(16 + groups.length * 12);
  subtable.writeUInt16BE(12, 0);
  subtable.writeUInt32BE(subtable.length, 4);
  subtable.writeUInt32BE(groups.length, 12);
  groups.forEach(([start, end, glyph], i) => {
    subtable.writeUInt32BE(start, 16 + i * 12);
    subtable.writeUInt32BE(end, 20 + i * 12);
    subtable.writeUInt32BE(glyph, 24 + i * 12);
  });
  const header = Buffer.alloc(4 + 2 * 8);
  header.writeUInt16BE(2, 2);
  // Both encoding records point at the one subtable, which follows them.
  [
    [0, 4],
    [3, 10],
  ].forEach(([platform, encoding], i) => {
    header.writeUInt16BE(platform!, 4 + i * 8);
    header.writeUInt16BE(encoding!, 6 + i * 8);
    header.writeUInt32BE(header.length, 8 + i * 8);
  });
  return Buffer.concat([header, subtable]);
}

/** An sfnt of the tables: sorted by tag, each padded to 4 bytes, with checksums. */
function sfnt(tables: ReadonlyMap<string, Buffer>): Buffer {
  const tags = [...tables.keys()].sort();
  const count = tags.length;
  const power = 2 ** Math.floor(Math.log2(count));
  const directory = Buffer.alloc(12 + count * 16);
  directory.writeUInt32BE(0x00010000, 0);
  directory.writeUInt16BE(count, 4);
  directory.writeUInt16BE(power * 16, 6);
  directory.writeUInt16BE(Math.log2(power), 8);
  directory.writeUInt16BE(count * 16 - power * 16, 10);
  const font = Buffer.alloc(tags.reduce((size, tag) => size + ((tables.get(tag)!.length + 3) & ~3), directory.length));
  let offset = directory.length;
  let head = 0;
  tags.forEach((tag, i) => {
    const data = tables.get(tag)!;
    data.copy(font, offset);
    const at = 12 + i * 16;
    directory.write(tag, at, 'latin1');
    directory.writeUInt32BE(checksum(font, offset, (data.length + 3) & ~3), at + 4);
    directory.writeUInt32BE(offset, at + 8);
    directory.writeUInt32BE(data.length, at + 12);
    if (tag === 'head') head = offset;
    offset += (data.length + 3) & ~3;
  });
  directory.copy(font, 0);
  font.writeUInt32BE((0xb1b0afba - checksum(font, 0, font.length)) >>> 0, head + 8);
  return font;
}

/** The sum of a table's (or the font's) 32-bit words. */
function checksum(data: Buffer, start: number, length: number): number {
  const view = new DataView(data.buffer, data.byteOffset + start, length);
  let sum = 0;
  for (let at = 0; at + 4 <= length; at += 4) sum = (sum + view.getUint32(at)) >>> 0;
  return sum;
}

/**
 * A bare sfnt as WOFF 1.0: each table zlib-compressed where that makes it smaller. The printer
 * hands fonts to Chromium through DevTools; this is a third of a merged CJK font's bytes.
 */
export function woff(font: Buffer, level = 1): Buffer {
  const count = font.readUInt16BE(4);
  const entries = Array.from({ length: count }, (_, i) => {
    const at = 12 + i * 16;
    const offset = font.readUInt32BE(at + 8);
    const length = font.readUInt32BE(at + 12);
    const data = font.subarray(offset, offset + length);
    const packed = deflateSync(data, { level });
    return { tag: font.subarray(at, at + 4), checksum: font.readUInt32BE(at + 4), length, data: packed.length < length ? packed : data };
  });
  const header = Buffer.alloc(44 + count * 20);
  let offset = header.length;
  const parts: Buffer[] = [header];
  entries.forEach((e, i) => {
    const at = 44 + i * 20;
    e.tag.copy(header, at);
    header.writeUInt32BE(offset, at + 4);
    header.writeUInt32BE(e.data.length, at + 8);
    header.writeUInt32BE(e.length, at + 12);
    header.writeUInt32BE(e.checksum, at + 16);
    parts.push(e.data);
    if (e.data.length % 4) parts.push(Buffer.alloc(4 - (e.data.length % 4)));
    offset += (e.data.length + 3) & ~3;
  });
  header.write('wOFF', 0, 'latin1');
  font.copy(header, 4, 0, 4); // flavor
  header.writeUInt32BE(offset, 8);
  header.writeUInt16BE(count, 12);
  header.writeUInt32BE(entries.reduce((size, e) => size + ((e.length + 3) & ~3), 12 + count * 16), 16);
  header.writeUInt16BE(1, 20); // font version 1.0
  return Buffer.concat(parts);
}
