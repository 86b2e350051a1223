import type { Series } from './components/Chart';

/** Series by metric name, merged from stream events: one value per (name, step), kept in step order. */
export type MetricMap = Record<string, Series>;

/** Adds one `metrics` event (`{step, metrics: {name: value}}`) to `map`, returning a new map. */
export function mergeStep(map: MetricMap, step: number, values: Record<string, number>): MetricMap {
  const out = { ...map };
  for (const [name, value] of Object.entries(values)) {
    const old = out[name] ?? [];
    const i = old.findIndex((p) => p.step >= step);
    const next = old.slice();
    if (i < 0) next.push({ step, value });
    else if (old[i].step === step) next[i] = { step, value };
    else next.splice(i, 0, { step, value });
    out[name] = next;
  }
  return out;
}

/**
 * Which chart a metric is drawn in: a grader's components share one chart (`train/reward/<grader>/mean`),
 * so do the gold metrics and eval components; every other metric has its own, titled by its API name.
 */
export function chartOf(name: string): string {
  if (name === 'train/reward/mean' || name === 'train/reward/std') return 'train/reward';
  if (/^train\/reward\/errors\//.test(name)) return 'train/reward/errors/<kind>';
  if (/^train\/reward\/[^/]+\/mean$/.test(name)) return 'train/reward/<grader>/mean';
  if (/^eval\/gold\//.test(name)) return 'eval/gold';
  if (/^eval\/reward\/[^/]+\/mean$/.test(name) && name !== 'eval/reward/mean') return 'eval/reward/<grader>/mean';
  return name;
}

const ORDER = ['train/reward', 'train/reward/<grader>/mean', 'eval/', 'train/', 'perf/'];

/** Charts in a useful order: rewards first, then evaluation, training and speed. */
export function groupCharts(map: MetricMap): { title: string; names: string[] }[] {
  const groups = new Map<string, string[]>();
  for (const name of Object.keys(map).sort()) {
    const g = chartOf(name);
    groups.set(g, [...(groups.get(g) ?? []), name]);
  }
  const rank = (t: string) => {
    const i = ORDER.findIndex((o) => t === o || (o.endsWith('/') && t.startsWith(o)));
    return i < 0 ? ORDER.length : i;
  };
  return [...groups.entries()]
    .map(([title, names]) => ({ title, names }))
    .sort((a, b) => rank(a.title) - rank(b.title) || a.title.localeCompare(b.title));
}

/** The x axis of a comparison: the step, or the job's cumulative training seconds at that step. */
export type XAxis = 'step' | 'wall';

/**
 * A compared metric's points against `axis`, as a chart draws them. On the wall-time axis a point without
 * `elapsed_seconds` (a job that did not record step times) has no x, so it is left out.
 */
export function againstAxis(points: { step: number; value: number; elapsed_seconds: number | null }[], axis: XAxis): Series {
  if (axis === 'step') return points.map((p) => ({ step: p.step, value: p.value }));
  return points.filter((p) => p.elapsed_seconds !== null).map((p) => ({ step: p.elapsed_seconds!, value: p.value }));
}

/** The metric a comparison opens with when the default is not among `names`: the first of the first chart. */
export function firstMetric(names: string[]): string | null {
  return groupCharts(Object.fromEntries(names.map((n) => [n, []])))[0]?.names[0] ?? null;
}
