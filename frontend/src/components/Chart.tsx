import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

/** Points of one metric; `step` is the x coordinate (a step, or seconds when a chart's x axis is time). */
export type Series = { step: number; value: number }[];

/**
 * Axis labels that stay short and still tell neighbours apart: as many decimals as the spacing between
 * ticks needs, thousands as k, and tiny values in a shared power of ten (3e-4).
 */
export function ticks(splits: number[]): string[] {
  if (splits.length === 0) return [];
  const step = splits.length > 1 ? Math.abs(splits[1] - splits[0]) : Math.abs(splits[0]) || 1;
  const maxAbs = Math.max(...splits.map(Math.abs));
  const decimals = (unit: number) => Math.min(6, Math.max(0, Math.ceil(-Math.log10(step / unit) - 1e-9)));
  if (maxAbs >= 1e4) return splits.map((v) => `${(v / 1000).toFixed(decimals(1000))}k`);
  if (maxAbs > 0 && maxAbs < 1e-2) {
    const e = Math.floor(Math.log10(maxAbs));
    return splits.map((v) => (v === 0 ? '0' : `${(v / 10 ** e).toFixed(decimals(10 ** e))}e${e}`));
  }
  return splits.map((v) => v.toFixed(decimals(1)));
}

/** A flat series gets a small band around its value instead of uPlot's default 0–100. */
export function yRange(_u: unknown, min: number | null, max: number | null): [number, number] {
  if (min === null || max === null) return [0, 1];
  if (min === max) {
    const pad = Math.abs(min) > 0 ? Math.abs(min) * 0.1 : 1;
    return [min - pad, max + pad];
  }
  const pad = (max - min) * 0.05;
  return [min - pad, max + pad];
}

export const COLORS = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#4d7c0f', '#be185d'];

/** Aligns several series on the union of their steps (uPlot's data layout), null where a series has no point. */
export function align(series: Series[]): (number | null)[][] {
  const steps = Array.from(new Set(series.flatMap((s) => s.map((p) => p.step)))).sort((a, b) => a - b);
  const index = new Map(steps.map((s, i) => [s, i]));
  const columns = series.map((s) => {
    const col: (number | null)[] = new Array(steps.length).fill(null);
    for (const p of s) col[index.get(p.step)!] = p.value;
    return col;
  });
  return [steps, ...columns];
}

/**
 * A zoomable line chart of metric series against the step, or whatever `xLabel` names (uPlot: drag to zoom,
 * double-click to reset). Resizes with its container. `xLog` (a base, e.g. 2) puts x on a log scale, for x values
 * that double (best-of-N's N = 1, 2, 4, …).
 */
export function MetricChart({ title, series, height = 200, xLabel = 'step', xLog }: {
  title: string;
  series: { name: string; points: Series }[];
  height?: number;
  xLabel?: string;
  xLog?: 2 | 10;
}) {
  const box = useRef<HTMLDivElement>(null);
  const figure = useRef<HTMLElement>(null);
  const plot = useRef<uPlot | null>(null);
  const zoomed = useRef(false);
  const names = series.map((s) => s.name).join('|');

  useEffect(() => {
    const el = box.current!;
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height,
      scales: { x: { time: false, ...(xLog ? { distr: 3, log: xLog } : {}) }, y: { range: yRange } },
      axes: [{ label: xLabel, values: (_u, splits) => ticks(splits) }, { size: 60, values: (_u, splits) => ticks(splits) }],
      cursor: { drag: { x: true, y: false } },
      hooks: {
        setSelect: [(u) => { if (u.select.width > 0) zoomed.current = true; }],
        // the legend's "step" line only while the cursor is on a point (otherwise uPlot shows "step: --")
        setLegend: [(u) => figure.current?.classList.toggle('hovering', u.cursor.idx != null)],
      },
      series: [
        { label: xLabel },
        ...series.map((s, i) => ({
          label: s.name,
          stroke: COLORS[i % COLORS.length],
          width: 1.5,
          spanGaps: true,
          // dots only while few points are in view
          points: { show: (_u: uPlot, _si: number, i0: number, i1: number) => i1 - i0 < 40 },
        })),
      ],
    };
    const u = new uPlot(opts, align(series.map((s) => s.points)) as uPlot.AlignedData, el);
    plot.current = u;
    zoomed.current = false;
    const unzoom = () => { zoomed.current = false; };
    el.addEventListener('dblclick', unzoom);
    const ro = new ResizeObserver(() => u.setSize({ width: Math.max(200, el.clientWidth), height }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      el.removeEventListener('dblclick', unzoom);
      u.destroy();
      plot.current = null;
    };
    // Rebuilt only when the set of series changes; new points go through setData below.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [names, height, xLabel, xLog]);

  useEffect(() => {
    // New points: follow the data, unless the user has zoomed in (then keep their window).
    plot.current?.setData(align(series.map((s) => s.points)) as uPlot.AlignedData, !zoomed.current);
  });

  const points = series.reduce((n, s) => n + s.points.length, 0);
  return (
    <figure ref={figure} className="chart" aria-label={`${title}: ${points} points`} data-points={points}>
      <figcaption>{title}</figcaption>
      <div ref={box} />
    </figure>
  );
}

/** A small axis-less line of one series, for tables. */
export function Sparkline({ points, label, width = 120, height = 28 }: {
  points: Series;
  label: string;
  width?: number;
  height?: number;
}) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (points.length === 0) return;
    const u = new uPlot(
      {
        width,
        height,
        legend: { show: false },
        cursor: { show: false },
        scales: { x: { time: false } },
        axes: [{ show: false }, { show: false }],
        series: [{}, { stroke: COLORS[0], width: 1.25, points: { show: false } }],
      },
      align([points]) as uPlot.AlignedData,
      box.current!,
    );
    return () => u.destroy();
  }, [points, width, height]);
  if (points.length === 0) return <span className="muted">no data</span>;
  const last = points[points.length - 1].value;
  return (
    <div className="sparkline" role="img" aria-label={`${label}: ${points.length} points, last ${last.toFixed(3)}`}>
      <div ref={box} />
    </div>
  );
}

/** A histogram (counts per bin) drawn as uPlot bars; x is each bin's left edge. */
export function HistogramChart({ title, edges, counts, height = 140 }: {
  title: string;
  edges: number[];
  counts: number[];
  height?: number;
}) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current!;
    const xs = counts.map((_, i) => (edges[i] + (edges[i + 1] ?? edges[i])) / 2);
    const u = new uPlot(
      {
        width: Math.max(160, el.clientWidth),
        height,
        legend: { show: false },
        scales: { x: { time: false, range: (_u, min, max) => (min === max ? [min - 0.5, max + 0.5] : [min, max]) } },
        axes: [{}, { label: 'count' }],
        series: [{}, { label: 'count', fill: 'rgba(37,99,235,0.35)', stroke: '#2563eb', paths: uPlot.paths.bars!({ size: [0.9, 64] }), points: { show: false } }],
      },
      [xs, counts] as uPlot.AlignedData,
      el,
    );
    const ro = new ResizeObserver(() => u.setSize({ width: Math.max(160, el.clientWidth), height }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      u.destroy();
    };
  }, [edges, counts, height]);
  const total = counts.reduce((a, b) => a + b, 0);
  return (
    <figure className="chart histogram" aria-label={`${title}: histogram of ${total} values`}>
      <figcaption>{title}</figcaption>
      <div ref={box} />
    </figure>
  );
}
