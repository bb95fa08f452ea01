/**
 * The sentence a chart's alt text is: made from the values the chart draws,
 * in the document's language, with every word from the labels.
 */
import { describe, expect, it } from 'vitest';
import { builtInLabels, makeLabels, type LabelValues } from '../../src/labels.js';
import { describeChart } from '../../src/pipeline/describe.js';

const labelsFor = (lang: string, own: Partial<LabelValues> = {}) => makeLabels(lang, { ...builtInLabels(lang)!, ...own });

describe('a chart described', () => {
  it('in Traditional Chinese: the city, the title, each value with its unit and the stated change in words', () => {
    const sentence = describeChart(
      {
        title: '2013年專利申請量與同比增長',
        subject: '深圳',
        groups: [{ values: [{ label: '專利申請量', display: '8.0692萬件', change: 10.3 }, { label: '發明專利申請量', display: '3.22萬件', change: -3.6 }, { label: '專利獎', display: '12項', change: 0 }] }],
      },
      labelsFor('zh-Hant'),
    );
    expect(sentence).toBe('深圳 2013年專利申請量與同比增長：專利申請量 8.0692萬件，同比增長10.3%；發明專利申請量 3.22萬件，同比下降3.6%；專利獎 12項，同比持平。');
  });

  it('in Simplified Chinese, with its own characters', () => {
    const sentence = describeChart({ title: '专利申请量', subject: '深圳', groups: [{ values: [{ label: '专利申请量', display: '8.0692万件', change: 10.3 }] }] }, labelsFor('zh-Hans'));
    expect(sentence).toBe('深圳 专利申请量：专利申请量 8.0692万件，同比增长10.3%。');
  });

  it('in English, the change formatted as English formats a percentage', () => {
    const sentence = describeChart(
      { title: 'Patent applications', subject: 'Riverton', groups: [{ values: [{ label: 'Applications', display: '12,345 filings', change: 1234.5 }, { label: 'Grants', display: '2.1K grants', change: -0.25 }] }] },
      labelsFor('en'),
    );
    expect(sentence).toBe('Riverton Patent applications: Applications, 12,345 filings, up 1,234.5% year on year; Grants, 2.1K grants, down 0.25% year on year.');
  });

  it('says "not stated", as the document does, where the source gives no value; a derived value with its tag', () => {
    const zh = labelsFor('zh-Hant');
    const ranking = describeChart({ title: '排名', groups: [{ values: [{ label: '深圳  第1位', display: '1.0987萬件' }, { label: '杭州 第2位', display: undefined }, { label: '推算量', display: '7.3萬件', derived: true }] }] }, zh);
    expect(ranking).toBe(`排名：深圳 第1位 1.0987萬件；杭州 第2位 ${zh.words.unknown}；推算量 7.3萬件(${zh.words.derivedTag})。`);
    const en = labelsFor('en');
    expect(describeChart({ title: 'Ranking', groups: [{ values: [{ label: 'Millbrook', display: undefined }] }] }, en)).toBe('Ranking: Millbrook, not stated.');
  });

  it('says a series a line at a time, its points joined as the language joins a list', () => {
    const groups = [
      { name: '深圳', values: [{ label: '2011年', display: '5件' }, { label: '2012年', display: '6件' }, { label: '2013年', display: '7件' }] },
      { name: '杭州', values: [{ label: '2011年', display: '1件' }, { label: '2012年', display: undefined }] },
    ];
    expect(describeChart({ title: '專利(件)', groups }, labelsFor('zh-Hant'))).toBe('專利(件)：深圳 2011年 5件、2012年 6件和2013年 7件；杭州 2011年 1件和2012年 未載明。');
    expect(describeChart({ title: 'Patents', groups: [{ name: 'Riverton', values: groups[0]!.values.map((v) => ({ ...v, label: v.label.replace('年', '') })) }] }, labelsFor('en'))).toBe('Patents: Riverton (2011, 5件, 2012, 6件, and 2013, 7件).');
  });

  it("speaks a project's words: every connector is a label it can override", () => {
    const own = labelsFor('zh-Hant', { chartAlt: '圖「{title}」顯示:{items}', chartAltValue: '{label}為{value}', chartAltRise: '{value}(較上年多{change})', chartAltSeparator: ' / ', unknown: '原文未提及' });
    const sentence = describeChart({ title: '申請量', subject: '深圳', groups: [{ values: [{ label: '專利申請量', display: '8萬件', change: 10.3 }, { label: '商標', display: undefined }] }] }, own);
    expect(sentence).toBe('圖「深圳 申請量」顯示:專利申請量為8萬件(較上年多10.3%) / 商標為原文未提及');
  });

  it('keeps a label that holds braces or line breaks as text: values are never read as placeholders', () => {
    const sentence = describeChart({ title: 'A {items} & <b>', groups: [{ values: [{ label: 'x\n  {label}', display: '1 {value}' }] }] }, labelsFor('en'));
    expect(sentence).toBe('A {items} & <b>: x {label}, 1 {value}.');
  });
});
