/**
 * A chart's title carries the unit its axis is written in, punctuated as its language writes it.
 */
import { describe, expect, it } from 'vitest';
import { scaledTitle } from '../../src/pipeline/context.js';

describe('scaledTitle', () => {
  it('writes Chinese and Japanese without spaces', () => {
    expect(scaledTitle('專利申請量', '萬', '件', 'zh-Hant')).toBe('專利申請量(萬件)');
    expect(scaledTitle('地区生产总值', '万亿', '元', 'zh-Hans')).toBe('地区生产总值(万亿元)');
    expect(scaledTitle('来館者数', '', '人', 'ja')).toBe('来館者数(人)');
  });

  it('spaces the scale, the unit and the bracket in a language written with spaces', () => {
    expect(scaledTitle('Items lent', 'M', 'items', 'en')).toBe('Items lent (M items)');
    expect(scaledTitle('Visits', 'K', '', 'en-GB')).toBe('Visits (K)');
    expect(scaledTitle('Prêts', '', 'documents', 'fr')).toBe('Prêts (documents)');
  });

  it('adds no empty brackets when there is neither scale nor unit', () => {
    expect(scaledTitle('Share', '', '', 'en')).toBe('Share');
    expect(scaledTitle('比重', '', '', 'zh-Hant')).toBe('比重');
  });
});
