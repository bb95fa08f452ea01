/**
 * A synthetic dataset of N cities shaped like the seed: each city is a copy of
 * one of the seed's cities under a new id and name, with its own section of a
 * generated source text, so every quote is still verbatim and validation runs
 * as it does on real data.
 *
 *   node bench/synthetic.mjs <out-dir> [N]
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Replace every occurrence of `from` in strings of a value. */
function rename(value, from, to) {
  if (typeof value === 'string') return value.split(from).join(to);
  if (Array.isArray(value)) return value.map((v) => rename(v, from, to));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rename(v, from, to)]));
  return value;
}

export async function writeSyntheticDataset(dir, n) {
  const seed = parse(await readFile(path.join(root, 'data/dataset.yaml'), 'utf8'));
  const article = await readFile(path.join(root, 'data/source/article.txt'), 'utf8');
  const cities = await Promise.all(seed.cities.map(async (id) => parse(await readFile(path.join(root, 'data/cities', `${id}.yaml`), 'utf8'))));
  // Each seed city's section of the article, found by its headline line.
  const lines = article.split('\n');
  const sections = cities.map((city) => {
    const start = lines.findIndex((l) => l === `${city.name['zh-Hant']} ${city.headline.join(' ')}`);
    let end = start + 1;
    while (end < lines.length && !cities.some((c) => lines[end] === `${c.name['zh-Hant']} ${c.headline.join(' ')}`)) end++;
    return lines.slice(start, end).join('\n');
  });

  await mkdir(path.join(dir, 'cities'), { recursive: true });
  await mkdir(path.join(dir, 'source'), { recursive: true });
  const ids = [];
  const text = [];
  for (let i = 0; i < n; i++) {
    const k = i % cities.length;
    const base = cities[k];
    const suffix = String(i + 1).padStart(4, '0');
    const name = base.name['zh-Hant'];
    const newName = `${name}${suffix}`;
    const city = rename(structuredClone(base), name, newName);
    city.id = `${base.id}-${suffix}`;
    city.name = { 'zh-Hant': newName, 'zh-Hans': `${base.name['zh-Hans']}${suffix}`, en: `${base.name.en} ${suffix}` };
    if (city.aliases) city.aliases = city.aliases.map((a) => `${a}${suffix}`);
    ids.push(city.id);
    text.push(sections[k].split(name).join(newName));
    await writeFile(path.join(dir, 'cities', `${city.id}.yaml`), stringify(city, { lineWidth: 0 }));
  }
  await writeFile(path.join(dir, 'source', 'article.txt'), `${text.join('\n')}\n`);
  await writeFile(path.join(dir, 'dataset.yaml'), stringify({ ...seed, title: `${seed.title}(合成 ${n} 城)`, cities: ids }, { lineWidth: 0 }));
  return ids;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [dir, n = '1000'] = process.argv.slice(2);
  if (!dir) {
    console.error('usage: node bench/synthetic.mjs <out-dir> [N]');
    process.exit(2);
  }
  const ids = await writeSyntheticDataset(path.resolve(dir), Number(n));
  console.log(`wrote ${ids.length} cities to ${dir}`);
}
