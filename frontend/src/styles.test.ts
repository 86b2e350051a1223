import { afterEach, describe, expect, it } from 'vitest';
import css from './styles.css?raw';

// Layout rules the end-to-end test found broken in Chromium (jsdom has no layout, so these check the computed
// styles the rules give).

afterEach(() => {
  document.head.innerHTML = '';
  document.body.innerHTML = '';
});

function styled(html: string): HTMLElement {
  const style = document.createElement('style');
  style.textContent = css;
  document.head.appendChild(style);
  document.body.innerHTML = html;
  return document.body.firstElementChild as HTMLElement;
}

describe('styles.css', () => {
  it('lets both columns of .two-col shrink below their widest table, so the Aliases tab fits a laptop screen', () => {
    // with plain 1fr tracks a column is at least as wide as its content: the Aliases tab's history table pushed the
    // page 130 to 190 px wider than a 1366 px window
    const grid = styled('<div class="two-col"><div></div><div></div></div>');
    expect(getComputedStyle(grid).display).toBe('grid');
    expect(getComputedStyle(grid).gridTemplateColumns).toBe('minmax(0, 1fr) minmax(0, 1fr)');
    const wide = styled('<div class="two-col wide-right"><div></div><div></div></div>');
    expect(getComputedStyle(wide).gridTemplateColumns).toBe('minmax(0, 2fr) minmax(0, 3fr)');
  });

  it('breaks long words in error boxes (a problem detail may quote JSON without spaces)', () => {
    const box = styled('<div class="error-box">[{"name":"min_pairwise_accuracy","threshold":0.8}]</div>');
    expect(getComputedStyle(box).overflowWrap).toBe('anywhere');
  });
});
