import { describe, expect, it } from 'vitest';
import { againstAxis, chartOf, firstMetric, groupCharts, mergeStep } from './metrics';
import { align, ticks } from './components/Chart';

describe('mergeStep', () => {
  it('keeps one value per step in step order, adding late values of a step', () => {
    let m = mergeStep({}, 2, { 'train/loss': 1.5 });
    m = mergeStep(m, 1, { 'train/loss': 2 });
    m = mergeStep(m, 2, { 'train/loss': 1.4, 'eval/accuracy': 0.3 });
    expect(m['train/loss']).toEqual([{ step: 1, value: 2 }, { step: 2, value: 1.4 }]);
    expect(m['eval/accuracy']).toEqual([{ step: 2, value: 0.3 }]);
  });
});

describe('charts', () => {
  it('groups per-grader components and gold metrics, one chart per other metric, rewards first', () => {
    expect(chartOf('train/reward/exact/mean')).toBe('train/reward/<grader>/mean');
    expect(chartOf('train/reward/mean')).toBe('train/reward');
    expect(chartOf('eval/gold/accuracy')).toBe('eval/gold');
    expect(chartOf('eval/reward/mean')).toBe('eval/reward/mean');
    expect(chartOf('train/loss')).toBe('train/loss');
    const names = ['perf/rss_mib', 'train/loss', 'eval/accuracy', 'train/reward/mean', 'train/reward/std', 'train/reward/exact/mean', 'eval/gold/mean'];
    const groups = groupCharts(Object.fromEntries(names.map((n) => [n, []])));
    expect(groups.map((g) => g.title)).toEqual(['train/reward', 'train/reward/<grader>/mean', 'eval/accuracy', 'eval/gold', 'train/loss', 'perf/rss_mib']);
    expect(groups[0].names).toEqual(['train/reward/mean', 'train/reward/std']);
  });

  it('aligns series of different steps for uPlot', () => {
    expect(align([[{ step: 0, value: 1 }, { step: 2, value: 3 }], [{ step: 1, value: 5 }]])).toEqual([
      [0, 1, 2],
      [1, null, 3],
      [null, 5, null],
    ]);
  });
});

describe('axis ticks', () => {
  it('keeps neighbours apart and numbers short', () => {
    expect(ticks([2.725, 2.73, 2.735])).toEqual(['2.725', '2.730', '2.735']);
    expect(ticks([0, 0.5, 1])).toEqual(['0.0', '0.5', '1.0']);
    expect(ticks([0, 10, 20])).toEqual(['0', '10', '20']);
    expect(ticks([10000, 15000, 20000])).toEqual(['10k', '15k', '20k']);
    expect(ticks([0, 1e-4, 2e-4, 3e-4])).toEqual(['0', '1e-4', '2e-4', '3e-4']);
    expect(ticks([5e-5, 1e-4, 1.5e-4])).toEqual(['0.5e-4', '1.0e-4', '1.5e-4']);
  });
});

describe('comparison axes', () => {
  const points = [
    { step: 1, value: 0.1, elapsed_seconds: 0.45 },
    { step: 2, value: 0.2, elapsed_seconds: null },
    { step: 3, value: 0.3, elapsed_seconds: 1.35 },
  ];
  it('plots by step, or by training seconds leaving out the points without them', () => {
    expect(againstAxis(points, 'step')).toEqual([{ step: 1, value: 0.1 }, { step: 2, value: 0.2 }, { step: 3, value: 0.3 }]);
    expect(againstAxis(points, 'wall')).toEqual([{ step: 0.45, value: 0.1 }, { step: 1.35, value: 0.3 }]);
  });

  it('opens on the first metric of the first chart when the reward is missing', () => {
    expect(firstMetric(['train/loss', 'eval/accuracy', 'perf/rss_mib'])).toBe('eval/accuracy');
    expect(firstMetric([])).toBeNull();
  });
});
