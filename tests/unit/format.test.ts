import { describe, expect, it } from 'vitest';
import { compactDiffers, compactNumber, exactNumber, percent, withUnit } from '../../src/format.js';
import { builtInLabels, makeLabels } from '../../src/labels.js';

describe('number formats', () => {
  it('writes compact 萬/億 forms in Traditional Chinese, keeping the source precision', () => {
    expect(compactNumber(80692, 'zh-Hant')).toBe('8.0692萬');
    expect(compactNumber(3_090_000_000, 'zh-Hant')).toBe('30.9億');
    expect(compactNumber(7_780_000, 'zh-Hant')).toBe('778萬');
    expect(compactNumber(2246, 'zh-Hant')).toBe('2246');
  });

  it('uses 万/亿 for Simplified Chinese and K/M/B for English', () => {
    expect(compactNumber(80692, 'zh-Hans')).toBe('8.0692万');
    expect(compactNumber(3_090_000_000, 'zh-Hans')).toBe('30.9亿');
    expect(compactNumber(3_090_000_000, 'en')).toBe('3.09B');
  });

  it('keeps the exact figure available', () => {
    expect(exactNumber(80692, 'zh-Hant')).toBe('80,692');
    expect(compactDiffers(80692, 'zh-Hant')).toBe(true);
    expect(compactDiffers(99, 'zh-Hant')).toBe(false);
  });

  it('formats percents given in percent units, signed for changes', () => {
    expect(percent(48.1, 'zh-Hant')).toBe('48.1%');
    expect(percent(25.24, 'zh-Hant', true)).toBe('+25.24%');
    expect(percent(-3.5, 'en', true)).toBe('-3.5%');
    expect(percent(0, 'en', true)).toBe('0%');
  });

  it('joins units without a space in CJK and with one in English', () => {
    expect(withUnit(80692, '件', 'zh-Hant')).toBe('8.0692萬件');
    expect(withUnit(80692, '件', 'zh-Hant', false)).toBe('80,692件');
    expect(withUnit(1200, 'patents', 'en', false)).toBe('1,200 patents');
    expect(withUnit(48.1, '%', 'zh-Hant')).toBe('48.1%');
  });
});

describe('document labels', () => {
  it('picks citybrief\'s labels by language tag, falling back to the language alone; none for a language it has no words for', () => {
    expect(builtInLabels('zh-Hant')?.commentary).toBe('點評');
    expect(builtInLabels('zh-Hans')?.commentary).toBe('点评');
    expect(builtInLabels('zh-CN')?.commentary).toBe('点评');
    expect(builtInLabels('en-GB')?.commentary).toBe('Commentary');
    expect(builtInLabels('fr')).toBeUndefined();
    expect(makeLabels('zh-Hant', builtInLabels('zh-Hant')!).format('rankPosition', { n: 3 })).toBe('第3位');
    expect(makeLabels('en', builtInLabels('en')!).format('rankWithin', { n: 10 })).toBe('Top 10');
  });
});
