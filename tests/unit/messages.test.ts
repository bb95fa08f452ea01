/**
 * Messages whose words depend on what they report (src/messages.ts).
 */
import { describe, expect, it } from 'vitest';
import { msg } from '../../src/messages.js';

describe('msg.overflow: a measured box whose content would be cut off', () => {
  it('calls the boxes of a kind whose front matter says `boxes: slide` slides, by number and name', () => {
    expect(msg.overflow('shenzhen/slides.pdf', 'slide', [{ element: '深圳: 重點數據 1', page: 2 }])).toBe(
      'shenzhen/slides.pdf: content does not fit on slide 2 (深圳: 重點數據 1) and would be cut off. Shorten the text or split it in the template.',
    );
    expect(msg.overflow('shenzhen/slides.pdf', 'slide', [{ element: '深圳: title', page: 1 }, { element: '深圳: 點評 1', page: 6 }])).toMatch(/ does not fit on slides 1 \(深圳: title\), 6 \(深圳: 點評 1\) and /);
  });

  it('calls the boxes of a kind that says `boxes: page` pages, never slides', () => {
    const one = msg.overflow('overview.pdf', 'page', [{ element: '深圳', page: 3 }]);
    expect(one).toBe('overview.pdf: content does not fit on page 3 (深圳) and would be cut off. Shorten the text or split it in the template.');
    expect(msg.overflow('overview.pdf', 'page', [{ element: '深圳', page: 3 }, { element: '杭州', page: 4 }])).toMatch(/ does not fit on pages 3 \(深圳\), 4 \(杭州\) and /);
    expect(one).not.toMatch(/slide/);
  });

  it('calls any other measured box a box', () => {
    expect(msg.overflow('shenzhen/briefing.pdf', 'box', [{ element: 'key figures', page: 1 }])).toMatch(/: content does not fit in the box key figures \(page 1\) and would be cut off\. /);
    expect(msg.overflow('shenzhen/briefing.pdf', 'box', [{ element: 'a', page: 1 }, { element: 'b', page: 2 }])).not.toMatch(/slide/);
  });
});
