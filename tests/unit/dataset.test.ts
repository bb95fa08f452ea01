/**
 * Checks on the real dataset (data/), read directly with the `yaml` package so
 * they do not depend on citybrief's own loader or validator: every quote, number,
 * rank and name in the data must be traceable to data/source/article.txt, and
 * every number the article states must be captured by the data.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';

/**
 * Numbers the article writes in Arabic digits that are deliberately NOT
 * captured as figures or ranks. Each entry is a fragment of the article that
 * contains the number (scoped to one city's section when `city` is set), and
 * why it is not data. A test below fails when an entry no longer occurs in the
 * article or no longer excuses anything, so the list cannot go stale.
 */
const NUMBER_EXCEPTIONS: readonly { text: string; city?: string; reason: string }[] = [
  { text: '2013年', reason: 'the year the article reports on, used as a date (2013年, 在2013年…排名), never a quantity' },
  { text: '2012年度', city: 'hangzhou', reason: 'a year used as a date: the 2012 batch of demonstration enterprises' },
  { text: '2012年底', city: 'nanjing', reason: 'a year used as a date: when 南京 became a patent-insurance pilot city' },
  { text: '突破8萬件', city: 'shenzhen', reason: 'a threshold restating the exact figure 8.0692萬件 stated right after it (figure `applications`)' },
  { text: '突破1萬件', city: 'shenzhen', reason: 'a threshold restating the exact figure 1.0049萬件 stated right after it (figure `pct-applications`)' },
  { text: '(PCT)', reason: 'an acronym: letters only, so it holds no number at all (listed so nobody adds it as a figure)' },
  { text: '“4類方式”', city: 'chengdu', reason: 'commentary repeating the figure 4類質押融資方式 (figure `pledge-financing-modes`) stated in the narrative' },
];

/** The city ids the dataset must hold, in the order dataset.yaml and the article list them. */
const CITY_IDS = ['shenzhen', 'hangzhou', 'nanjing', 'guangzhou', 'xian', 'chengdu', 'wuhan', 'ningbo', 'jinan', 'shenyang'];

// ---------------------------------------------------------------------------
// Raw data, read without citybrief's code.

interface RawFigure {
  id: string;
  metric: string;
  value: number;
  unit: string;
  label?: string;
  period?: string;
  qualifier?: string;
  change?: { value: number; unit: string; basis: string };
  source?: string;
  derived?: { from: string[]; method: string };
}
type RawRank = { source: string } & ({ position: number } | { within: number } | { listed: true });
interface RawCity {
  id: string;
  name: Record<string, string>;
  aliases?: string[];
  headline: string[];
  rank?: RawRank;
  figures?: RawFigure[];
  programmes?: { name: string; kind: string; source: string }[];
  charts?: unknown[];
  narrative: string[];
  commentary?: string;
}
interface RawDataset {
  lang: string;
  source: { file: string; attribution?: string };
  ranking?: { metric: string };
  cities: string[];
  metrics: Record<string, { label: string }>;
}

const root = fileURLToPath(new URL('../../', import.meta.url));
const dataDir = path.join(root, 'data');
const dataset = parse(readFileSync(path.join(dataDir, 'dataset.yaml'), 'utf8')) as RawDataset;
const cityFiles = readdirSync(path.join(dataDir, 'cities')).filter((f) => f.endsWith('.yaml')).sort();
const cities: RawCity[] = dataset.cities.map((id) => parse(readFileSync(path.join(dataDir, 'cities', `${id}.yaml`), 'utf8')) as RawCity);
const cityById = new Map(cities.map((c) => [c.id, c]));
const article = readFileSync(path.join(dataDir, dataset.source.file), 'utf8').replace(/^\uFEFF/, '');
const figuresOf = (city: RawCity) => city.figures ?? [];

// ---------------------------------------------------------------------------
// The article, split into city sections.

interface Section {
  readonly cityId: string;
  readonly header: string;
  /** Offsets into `article`: [start, end). */
  readonly start: number;
  readonly end: number;
  readonly text: string;
  /** Paragraphs after the header. */
  readonly body: readonly string[];
}

function splitSections(): Map<string, Section> {
  const headers: { cityId: string; header: string; start: number }[] = [];
  let offset = 0;
  for (const line of article.split('\n')) {
    const m = /^(\S+) (\S+) (\S+)$/.exec(line);
    const city = m ? cities.find((c) => c.name['zh-Hant'] === m[1]) : undefined;
    if (city) headers.push({ cityId: city.id, header: line, start: offset });
    offset += line.length + 1;
  }
  const sections = new Map<string, Section>();
  headers.forEach((h, i) => {
    const end = headers[i + 1]?.start ?? article.length;
    const text = article.slice(h.start, end);
    const body = text.split('\n').slice(1).filter((l) => l.trim() !== '');
    if (sections.has(h.cityId)) throw new Error(`two sections for ${h.cityId}`);
    sections.set(h.cityId, { ...h, end, text, body });
  });
  return sections;
}
const sections = splitSections();
const sectionOf = (id: string): Section => {
  const s = sections.get(id);
  if (!s) throw new Error(`no section for ${id} in the article`);
  return s;
};

/** Every [start, end) span where `fragment` occurs inside [from, to) of the article. */
function occurrences(fragment: string, from = 0, to = article.length): [number, number][] {
  const spans: [number, number][] = [];
  for (let i = article.indexOf(fragment, from); i !== -1 && i + fragment.length <= to; i = article.indexOf(fragment, i + 1)) {
    spans.push([i, i + fragment.length]);
  }
  return spans;
}

// ---------------------------------------------------------------------------
// Numbers as the article writes them: Arabic digits, optionally with a decimal
// part and a 萬 (1e4) or 億 (1e8) multiplier.

interface NumberToken {
  readonly raw: string;
  readonly value: number;
  /** Offsets into the text the token was read from: [start, end). */
  readonly start: number;
  readonly end: number;
}

const MULTIPLIER_ZEROS: Record<string, number> = { 萬: 4, 万: 4, 億: 8, 亿: 8 };

/** Exact decimal scaling, so 174.3億 is 17430000000 and not 17430000000.000002. */
function scaled(digits: string, zeros: number): number {
  const [int = '0', frac = ''] = digits.split('.');
  if (frac.length <= zeros) return Number(int + frac.padEnd(zeros, '0'));
  return Number(`${int}${frac.slice(0, zeros)}.${frac.slice(zeros)}`);
}

function numbersIn(text: string, base = 0): NumberToken[] {
  const tokens: NumberToken[] = [];
  for (const m of text.matchAll(/[0-9０-９]+(?:[.．][0-9０-９]+)?([萬万億亿])?/g)) {
    const digits = m[0]
      .replace(/[萬万億亿]$/, '')
      .replace(/[０-９]/g, (d) => String(d.charCodeAt(0) - 0xff10))
      .replace('．', '.');
    const zeros = m[1] ? (MULTIPLIER_ZEROS[m[1]] ?? 0) : 0;
    tokens.push({ raw: m[0], value: scaled(digits, zeros), start: base + m.index, end: base + m.index + m[0].length });
  }
  return tokens;
}

const CHINESE_NUMERALS = ['', '一', '二', '三', '四', '五', '六', '七', '八', '九', '十'];

/** Does a rank fragment write `n` — in digits, or as 第一 / 前十 for 1..10? */
function writesRank(source: string, n: number): boolean {
  if (numbersIn(source).some((t) => t.value === n)) return true;
  const numeral = CHINESE_NUMERALS[n];
  return numeral !== undefined && numeral !== '' && new RegExp(`[第前]${numeral}(?![一二三四五六七八九十])`).test(source);
}

const rankNumber = (rank: RawRank): number | undefined =>
  'position' in rank ? rank.position : 'within' in rank ? rank.within : undefined;

/** Every quoted fragment of a city, with where it stands in the data. */
function fragmentsOf(city: RawCity): { where: string; source: string }[] {
  const list: { where: string; source: string }[] = [];
  if (city.rank) list.push({ where: 'rank', source: city.rank.source });
  figuresOf(city).forEach((f) => f.source !== undefined && list.push({ where: `figures.${f.id}`, source: f.source }));
  (city.programmes ?? []).forEach((p, i) => list.push({ where: `programmes[${i}] ${p.name}`, source: p.source }));
  return list;
}

// ---------------------------------------------------------------------------

describe('number parsing used by these checks', () => {
  it.each([
    ['8.0692萬', 80692],
    ['30.9億', 3090000000],
    ['8.5億多元', 850000000],
    ['174.3億', 17430000000],
    ['778萬元', 7780000],
    ['10.3%', 10.3],
    ['2246件', 2246],
  ])('reads %s as %d', (text, value) => {
    expect(numbersIn(text).map((t) => t.value)).toEqual([value]);
  });

  it('reads Chinese rank numerals 第一 and 前十, but not 第十五', () => {
    expect(writesRank('深圳市以1.0987萬件蟬聯第一', 1)).toBe(true);
    expect(writesRank('排名前十位', 10)).toBe(true);
    expect(writesRank('第十五屆', 10)).toBe(false);
  });
});

describe('the article', () => {
  it('has one section per city, in the order of dataset.yaml, headed by the city name and its headline', () => {
    expect([...sections.keys()]).toEqual(dataset.cities);
    for (const city of cities) {
      expect(sectionOf(city.id).header).toBe(`${city.name['zh-Hant']} ${city.headline.join(' ')}`);
    }
  });

  it('ends with the attribution line named in dataset.yaml', () => {
    expect(dataset.source.attribution).toBeTruthy();
    expect(article.trimEnd().endsWith(dataset.source.attribution!)).toBe(true);
  });
});

describe('source fragments', () => {
  describe.each(CITY_IDS)('%s', (id) => {
    const city = cityById.get(id)!;

    it('quotes every source (figures, rank, programmes) verbatim from its own section of the article', () => {
      const section = sectionOf(id);
      const fragments = fragmentsOf(city);
      expect(fragments.length).toBeGreaterThan(0);
      const notInArticle = fragments.filter((f) => !article.includes(f.source));
      const notInSection = fragments.filter((f) => !section.text.includes(f.source));
      expect(notInArticle).toEqual([]);
      expect(notInSection).toEqual([]);
    });

    it("states each figure's value (and its change) as a number written in the figure's source", () => {
      const wrong: string[] = [];
      for (const f of figuresOf(city).filter((f) => f.source !== undefined)) {
        const written = numbersIn(f.source!).map((t) => t.value);
        if (!written.includes(f.value)) wrong.push(`${f.id}: value ${f.value} not in [${written.join(', ')}] of "${f.source}"`);
        if (f.change && !written.includes(f.change.value)) wrong.push(`${f.id}: change ${f.change.value} not in "${f.source}"`);
      }
      expect(wrong).toEqual([]);
    });

    it('writes the rank number in the rank source', () => {
      if (!city.rank) return expect(city.rank).toBeUndefined();
      const n = rankNumber(city.rank);
      if (n !== undefined) expect(writesRank(city.rank.source, n), `${n} in "${city.rank.source}"`).toBe(true);
      expect(city.rank.source).toContain('發明專利授權量');
    });
  });
});

describe('every Arabic-digit number in the article is captured', () => {
  /** Values a fragment of this city states: figures quoting it (value and change) and a rank quoting it. */
  function valuesStatedBy(city: RawCity, fragment: string): number[] {
    const values: number[] = [];
    for (const f of figuresOf(city)) {
      if (f.source !== fragment) continue;
      values.push(f.value);
      if (f.change) values.push(f.change.value);
    }
    if (city.rank?.source === fragment) {
      const n = rankNumber(city.rank);
      if (n !== undefined) values.push(n);
    }
    return values;
  }

  /** Is the token inside the span of a figure/rank fragment of its city that states this value? */
  function captured(city: RawCity, token: NumberToken): boolean {
    const section = sectionOf(city.id);
    const fragments = new Set([...figuresOf(city).flatMap((f) => (f.source ? [f.source] : [])), ...(city.rank ? [city.rank.source] : [])]);
    for (const fragment of fragments) {
      if (!valuesStatedBy(city, fragment).includes(token.value)) continue;
      if (occurrences(fragment, section.start, section.end).some(([s, e]) => s <= token.start && token.end <= e)) return true;
    }
    return false;
  }

  function excusedBy(cityId: string, token: NumberToken) {
    return NUMBER_EXCEPTIONS.filter((x) => {
      if (x.city !== undefined && x.city !== cityId) return false;
      const section = sectionOf(cityId);
      return occurrences(x.text, section.start, section.end).some(([s, e]) => s <= token.start && token.end <= e);
    });
  }

  const tokensByCity = CITY_IDS.map((id) => {
    const section = sectionOf(id);
    return { id, tokens: numbersIn(section.text, section.start) };
  });

  it('finds the numbers to check (the article states dozens)', () => {
    const all = tokensByCity.flatMap((c) => c.tokens);
    expect(all.length).toBeGreaterThan(50);
    // Everything before the first section would escape the per-city check.
    expect(numbersIn(article.slice(0, sectionOf(CITY_IDS[0]!).start))).toEqual([]);
  });

  it.each(CITY_IDS)('%s: each number lies in a source fragment whose figure or rank states it, or in a declared exception', (id) => {
    const city = cityById.get(id)!;
    const missed = tokensByCity
      .find((c) => c.id === id)!
      .tokens.filter((t) => !captured(city, t) && excusedBy(id, t).length === 0)
      .map((t) => `${t.raw} … ${article.slice(Math.max(0, t.start - 12), t.end + 8).replace(/\n/g, '⏎')}`);
    expect(missed).toEqual([]);
  });

  it('every exception occurs in the article (in its city\'s section when scoped) and has a reason', () => {
    for (const x of NUMBER_EXCEPTIONS) {
      expect(x.reason.trim(), x.text).not.toBe('');
      const where = x.city === undefined ? article : sectionOf(x.city).text;
      expect(where.includes(x.text), `exception "${x.text}" not found${x.city ? ` in ${x.city}'s section` : ''}`).toBe(true);
    }
  });

  it('every exception is still needed: it excuses a number no figure or rank captures (or, for (PCT), holds no number)', () => {
    for (const x of NUMBER_EXCEPTIONS) {
      if (numbersIn(x.text).length === 0) {
        // Digit-free entries document text that must never be read as a number.
        expect(x.text).toBe('(PCT)');
        continue;
      }
      const excusesSomething = tokensByCity.some(({ id, tokens }) => tokens.some((t) => !captured(cityById.get(id)!, t) && excusedBy(id, t).includes(x)));
      expect(excusesSomething, `exception "${x.text}" is stale: every number in it is captured by a figure`).toBe(true);
    }
  });
});

describe('ranks', () => {
  const expected: Record<string, Omit<RawRank, 'source'> | undefined> = {
    shenzhen: { position: 1 },
    hangzhou: { position: 2 },
    nanjing: { position: 3 },
    guangzhou: { position: 4 },
    ningbo: { position: 8 },
    shenyang: { within: 10 },
    wuhan: { listed: true },
    xian: undefined,
    chengdu: undefined,
    jinan: undefined,
  };

  it.each(CITY_IDS)('%s has the rank the article gives', (id) => {
    const rank = cityById.get(id)!.rank;
    if (expected[id] === undefined) {
      expect(rank).toBeUndefined();
    } else {
      const { source, ...rest } = rank!;
      expect(rest).toEqual(expected[id]);
      expect(source.length).toBeGreaterThan(0);
    }
  });

  it('exactly the cities whose section mentions the 發明專利授權量 ranking have a rank', () => {
    const rankedInArticle = CITY_IDS.filter((id) => sectionOf(id).text.includes('副省級城市(不含港澳臺)發明專利授權量'));
    const rankedInData = cities.filter((c) => c.rank !== undefined).map((c) => c.id);
    expect(rankedInData).toEqual(rankedInArticle);
    expect(rankedInData.sort()).toEqual(['guangzhou', 'hangzhou', 'nanjing', 'ningbo', 'shenyang', 'shenzhen', 'wuhan']);
  });

  it('positions are distinct, and the stated grant counts fall as the position rises', () => {
    const positioned = cities.flatMap((c) => (c.rank && 'position' in c.rank ? [{ id: c.id, position: c.rank.position }] : []));
    expect(new Set(positioned.map((p) => p.position)).size).toBe(positioned.length);
    const grants = (id: string) => figuresOf(cityById.get(id)!).find((f) => f.metric === dataset.ranking?.metric)?.value;
    const withGrants = positioned.filter((p) => grants(p.id) !== undefined).sort((a, b) => a.position - b.position);
    expect(withGrants.length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < withGrants.length; i++) expect(grants(withGrants[i]!.id)!).toBeLessThan(grants(withGrants[i - 1]!.id)!);
  });
});

describe('derived figures', () => {
  const fig = (cityId: string, id: string): RawFigure => {
    const f = figuresOf(cityById.get(cityId)!).find((x) => x.id === id);
    if (!f) throw new Error(`no figure ${cityId}/${id}`);
    return f;
  };
  const round1 = (x: number) => Math.round(x * 10) / 10;

  /** Every derived figure of the dataset, with its inputs and how its `method` says to compute it. */
  const DERIVED: Record<string, { from: string[]; method: string; compute: () => number }> = {
    'shenzhen/applications-2012': {
      from: ['applications'],
      method: '2013年申請量 ÷ (1 + 同比增長率),四捨五入至整數',
      compute: () => {
        const a = fig('shenzhen', 'applications');
        return Math.round(a.value / (1 + a.change!.value / 100));
      },
    },
    'ningbo/applicant-patent-product-share': {
      from: ['applicant-patent-product-sales', 'applicant-sales'],
      method: '專利產品銷售總金額 ÷ 銷售總金額 × 100,四捨五入至一位小數',
      compute: () => round1((fig('ningbo', 'applicant-patent-product-sales').value / fig('ningbo', 'applicant-sales').value) * 100),
    },
  };

  const derived = cities.flatMap((c) => figuresOf(c).filter((f) => f.derived !== undefined).map((f) => ({ city: c, figure: f, key: `${c.id}/${f.id}` })));

  it('the dataset holds exactly the derived figures this test knows how to recompute', () => {
    expect(derived.map((d) => d.key).sort()).toEqual(Object.keys(DERIVED).sort());
  });

  it.each(derived.map((d) => [d.key, d] as const))('%s names stated figures of its own city and quotes no source', (_key, { city, figure }) => {
    expect(figure.source).toBeUndefined();
    expect(figure.derived!.from.length).toBeGreaterThan(0);
    for (const id of figure.derived!.from) {
      const input = figuresOf(city).find((f) => f.id === id);
      expect(input, `${id} in ${city.id}`).toBeDefined();
      expect(input!.source, `${id} is stated, not derived`).toBeDefined();
      expect(input!.derived).toBeUndefined();
    }
  });

  it.each(derived.map((d) => [d.key, d] as const))('%s equals what its method computes from its inputs', (key, { figure }) => {
    const known = DERIVED[key]!;
    expect(figure.derived!.from).toEqual(known.from);
    expect(figure.derived!.method).toBe(known.method);
    expect(figure.value).toBe(known.compute());
  });

  it('shenzhen applications-2012 is round(80692 / 1.103)', () => {
    expect(fig('shenzhen', 'applications').value).toBe(80692);
    expect(fig('shenzhen', 'applications').change?.value).toBe(10.3);
    expect(fig('shenzhen', 'applications-2012').value).toBe(Math.round(80692 / 1.103));
    expect(fig('shenzhen', 'applications-2012').value).toBe(73157);
  });

  it('ningbo applicant share is 137.3億 / 174.3億 as a percentage to one decimal', () => {
    expect(fig('ningbo', 'applicant-patent-product-share').value).toBe(round1((137.3 / 174.3) * 100));
    expect(fig('ningbo', 'applicant-patent-product-share').value).toBe(78.8);
  });
});

describe('cities: ids and names', () => {
  it('dataset.yaml lists the ten cities in article order, one file each, named after the id', () => {
    expect(dataset.cities).toEqual(CITY_IDS);
    expect(cityFiles).toEqual(CITY_IDS.map((id) => `${id}.yaml`).sort());
    for (const id of CITY_IDS) expect(cityById.get(id)?.id).toBe(id);
  });

  it.each(CITY_IDS)('%s has zh-Hant, zh-Hans and en names', (id) => {
    const { name } = cityById.get(id)!;
    for (const lang of ['zh-Hant', 'zh-Hans', 'en', dataset.lang]) {
      expect(typeof name[lang], `${id} name.${lang}`).toBe('string');
      expect(name[lang]!.trim()).not.toBe('');
    }
  });

  it('沈陽 has the alias 瀋陽', () => {
    const shenyang = cityById.get('shenyang')!;
    expect(shenyang.name['zh-Hant']).toBe('沈陽');
    expect(shenyang.aliases).toContain('瀋陽');
  });

  it.each(CITY_IDS)('%s has unique figure ids', (id) => {
    const ids = figuresOf(cityById.get(id)!).map((f) => f.id);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('narrative and commentary', () => {
  const attribution = dataset.source.attribution!;

  describe.each(CITY_IDS)('%s', (id) => {
    const city = cityById.get(id)!;
    const section = sectionOf(id);
    const commentaryLine = section.body.find((l) => l.startsWith('點評:'));
    const bodyLines = section.body.filter((l) => l !== commentaryLine);

    it('quotes each narrative paragraph verbatim from its section', () => {
      expect(city.narrative.length).toBeGreaterThan(0);
      expect(city.narrative.filter((p) => !section.text.includes(p))).toEqual([]);
    });

    it('transcribes every paragraph of the section into the narrative, in order', () => {
      expect(city.narrative).toEqual(bodyLines);
    });

    it("quotes the commentary verbatim, without the 點評 label or the article's attribution", () => {
      expect(city.commentary).toBeDefined();
      const commentary = city.commentary!;
      expect(article).toContain(commentary);
      expect(section.text).toContain(commentary);
      expect(commentary).not.toContain(attribution);
      expect(commentary).not.toContain('向利/文');
      expect(commentary.startsWith('點評')).toBe(false);
      expect(commentaryLine).toBeDefined();
      expect(commentary).toBe(commentaryLine!.replace(/^點評:/, '').replace(attribution, '').trim());
    });
  });

  it('the attribution stands in the article (so the check above is not vacuous)', () => {
    expect(article).toContain(attribution);
    expect(sectionOf('shenyang').text).toContain(attribution);
  });
});

describe('metrics', () => {
  const used = cities.flatMap((c) => figuresOf(c).map((f) => ({ city: c.id, metric: f.metric, unit: f.unit })));

  it('invention_patent_grants is shared by more than one city, and is the ranking metric', () => {
    const citiesUsing = new Set(used.filter((u) => u.metric === 'invention_patent_grants').map((u) => u.city));
    expect(citiesUsing.size).toBeGreaterThan(1);
    expect(dataset.ranking?.metric).toBe('invention_patent_grants');
  });

  it('the ranking metric is counted in one unit everywhere, so cities compare', () => {
    const units = new Set(used.filter((u) => u.metric === dataset.ranking?.metric).map((u) => u.unit));
    expect([...units]).toEqual(['件']);
  });

  it('every metric in dataset.yaml is used by at least one figure', () => {
    const usedMetrics = new Set(used.map((u) => u.metric));
    expect(Object.keys(dataset.metrics).filter((m) => !usedMetrics.has(m))).toEqual([]);
  });

  it('every figure uses a metric defined in dataset.yaml', () => {
    expect(used.filter((u) => !(u.metric in dataset.metrics))).toEqual([]);
  });
});
