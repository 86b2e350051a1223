import '@testing-library/jest-dom/vitest';
import { afterEach, vi } from 'vitest';
import { cleanup } from '@testing-library/react';

// jsdom has no canvas: uPlot is replaced by a stand-in that records its data (the real charts are exercised
// by the end-to-end suite in Chromium).
vi.mock('uplot', () => {
  class FakePlot {
    static paths = { bars: () => () => null };
    data: unknown;
    scales = { x: {} };
    select = { width: 0 };
    constructor(_opts: unknown, data: unknown, el: HTMLElement) {
      this.data = data;
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
vi.stubGlobal('ResizeObserver', NoResize);

afterEach(() => {
  cleanup();
  sessionStorage.clear();
});
