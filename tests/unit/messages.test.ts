/**
 * Messages whose words depend on what they report (src/messages.ts).
 */
import { describe, expect, it } from 'vitest';
import { msg } from '../../src/messages.js';

describe('msg.overflow: a measured box whose content would be cut off', () => {
  it('calls the boxes of a kind whose front matter says `boxes: slide` slides', () => {
    expect(msg.overflow('shenzhen/slides.html', 'slide', ['深圳: 重點數據 1'])).toBe(
      'shenzhen/slides.html: content does not fit on slide 深圳: 重點數據 1 and would be cut off. Shorten the text or split it in the template.',
    );
    expect(msg.overflow('shenzhen/slides.html', 'slide', ['深圳: title', '深圳: 點評 1'])).toMatch(/ does not fit on slides 深圳: title, 深圳: 點評 1 and /);
  });

  it('calls the boxes of a kind that says `boxes: page` pages (the overview\'s city summaries), never slides', () => {
    const one = msg.overflow('overview.html', 'page', ['深圳']);
    expect(one).toBe('overview.html: content does not fit on the page of 深圳 and would be cut off. Shorten the text or split it in the template.');
    expect(msg.overflow('overview.html', 'page', ['深圳', '杭州'])).toMatch(/ does not fit on the pages of 深圳, 杭州 and /);
    expect(one).not.toMatch(/slide/);
  });

  it('calls any other measured box a box', () => {
    expect(msg.overflow('shenzhen/briefing.html', 'box', ['key figures'])).toMatch(/: content does not fit in the box key figures and would be cut off\. /);
    expect(msg.overflow('shenzhen/briefing.html', 'box', ['a', 'b'])).not.toMatch(/slide|page/);
  });
});
