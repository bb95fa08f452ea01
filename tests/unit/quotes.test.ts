/** Where a quote departs from its source: the character, where, and both named. */
import { describe, expect, it } from 'vitest';
import { msg } from '../../src/messages.js';
import { characterName, departure } from '../../src/pipeline/quotes.js';

const SOURCE = '2021年，深圳地区生产总值突破3万亿元，达30664.85亿元，同比增长6.7%。广州GDP约2.82万亿元左右。';

describe('a quote not found verbatim', () => {
  it('a half-width comma where the source has a full-width one: the position, both characters and their names', () => {
    const near = departure('深圳地区生产总值突破3万亿元,达30664.85亿元', SOURCE)!;
    expect(near).toEqual({ passage: '深圳地区生产总值突破3万亿元，达30664.85亿元', position: 15, quoted: ',', found: '，' });
    expect(msg.sourceNotFound('gdp.txt', near)).toBe(
      'is not found verbatim in gdp.txt. The nearest passage there reads "深圳地区生产总值突破3万亿元，达30664.85亿元": the quote\'s character 15 is "," (COMMA), where gdp.txt has "，" (FULLWIDTH COMMA). Quote the source exactly (same characters and punctuation).',
    );
  });

  it('a quote whose start is wrong but whose end is in the source departs just before that end', () => {
    expect(departure('廣州GDP约2.82万亿元左右', SOURCE)).toEqual({ passage: '广州GDP约2.82万亿元左右', position: 1, quoted: '廣', found: '广' });
  });

  it('a quote that runs on past the source: nothing more there', () => {
    expect(departure('同比增长6.7%。广州GDP约2.82万亿元左右。此外', SOURCE)).toMatchObject({ position: 26, quoted: '此', found: undefined });
  });

  it('a quote in the source, or one that follows no passage for four characters, has no departure', () => {
    expect(departure('突破3万亿元', SOURCE)).toBeUndefined();
    expect(departure('上海市人口', SOURCE)).toBeUndefined();
    expect(msg.sourceNotFound('gdp.txt', undefined)).toBe('is not found verbatim in gdp.txt. Quote the source exactly (same characters and punctuation).');
  });

  it('names spaces, digits and the characters it has no name for', () => {
    expect(characterName('\u3000')).toBe('(IDEOGRAPHIC SPACE)');
    expect(characterName('３')).toBe('"３" (FULLWIDTH DIGIT 3)');
    expect(characterName('亿')).toBe('"亿" (U+4EBF)');
    expect(characterName('𠮷')).toBe('"𠮷" (U+20BB7)');
  });
});
