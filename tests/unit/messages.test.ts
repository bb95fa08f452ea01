/**
 * Messages whose words depend on what they report (src/messages.ts).
 */
import { describe, expect, it } from 'vitest';
import { msg } from '../../src/messages.js';

describe('msg.overflow: a measured box whose content would be cut off', () => {
  it('calls a deck\'s boxes slides', () => {
    expect(msg.overflow('shenzhen/slides.html', 'slides', ['深圳: 重點數據 1'])).toBe(
      'shenzhen/slides.html: content does not fit on slide 深圳: 重點數據 1 and would be cut off. Shorten the text or split it in the template.',
    );
    expect(msg.overflow('shenzhen/slides.html', 'slides', ['深圳: title', '深圳: 點評 1'])).toMatch(/ does not fit on slides 深圳: title, 深圳: 點評 1 and /);
  });

  it('calls the overview\'s city summaries pages, never slides', () => {
    const one = msg.overflow('overview.html', 'overview', ['深圳']);
    expect(one).toBe('overview.html: content does not fit on the page of 深圳 and would be cut off. Shorten the text or split it in the template.');
    expect(msg.overflow('overview.html', 'overview', ['深圳', '杭州'])).toMatch(/ does not fit on the pages of 深圳, 杭州 and /);
    expect(one).not.toMatch(/slide/);
  });

  it('calls any other measured box a box', () => {
    expect(msg.overflow('shenzhen/briefing.html', 'briefing', ['key figures'])).toMatch(/: content does not fit in the box key figures and would be cut off\. /);
    expect(msg.overflow('shenzhen/briefing.html', 'briefing', ['a', 'b'])).not.toMatch(/slide|page/);
  });
});
