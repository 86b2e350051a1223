import '@testing-library/jest-dom/vitest';
import { afterEach, vi } from 'vitest';
import { cleanup } from '@testing-library/react';

// jsdom has no canvas: uPlot is replaced by a stand-in that records its data (the real charts are exercised
// by the end-to-end suite in Chromium).
vi.mock('uplot', () => {
  class FakePlot {
    static paths = { bars: () => () => null };
    /** Every plot made since the last test, for tests that check a chart's series and axes. */
    static made: FakePlot[] = [];
    opts: unknown;
    data: unknown;
    scales = { x: {} };
    select = { width: 0 };
    constructor(opts: unknown, data: unknown, el: HTMLElement) {
      this.opts = opts;
      this.data = data;
      FakePlot.made.push(this);
      el.appendChild(document.createElement('canvas'));
    }
    setData(d: unknown) {
      this.data = d;
    }
    setSize() {}
    destroy() {}
  }
  return { default: FakePlot };
});

class NoResize {
  observe() {}
  disconnect() {}
  unobserve() {}
}
// Assigned, not stubbed: the page tests' vi.unstubAllGlobals() (for fetch) would otherwise remove it after a
// file's first test, and a chart drawn in a later test would throw.
globalThis.ResizeObserver ??= NoResize as unknown as typeof ResizeObserver;

afterEach(async () => {
  cleanup();
  ((await import('uplot')).default as unknown as { made: unknown[] }).made.length = 0;
  sessionStorage.clear();
});
