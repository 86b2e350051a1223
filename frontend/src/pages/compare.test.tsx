import { afterEach, describe, expect, it, vi } from 'vitest';
import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { MemoryRouter, Route, Routes, useLocation } from 'react-router-dom';
import type { ReactNode } from 'react';
import uPlot from 'uplot';
import { AuthProvider } from '../auth';
import { Jobs } from './Jobs';
import { Compare } from './Compare';
import { storeKey, type JobComparison } from '../api';
import { json, list, mockFetch, problem } from '../test-fetch';

// The compare view (issue 15): pick jobs on the Jobs page, overlay their metrics, list their differences.

afterEach(() => vi.unstubAllGlobals());

/** The plots drawn so far (uPlot is a stand-in in jsdom: see test-setup.ts). */
const plots = () => (uPlot as unknown as { made: { opts: { series: { label?: string }[]; axes: { label?: string }[] }; data: (number | null)[][] }[] }).made;

function Where() {
  const l = useLocation();
  return <p data-testid="where">{l.pathname + l.search}</p>;
}

function at(path: string, routes: ReactNode) {
  return render(
    <AuthProvider>
      <MemoryRouter initialEntries={[path]}>
        <Routes>{routes}</Routes>
      </MemoryRouter>
    </AuthProvider>,
  );
}

const job = (id: string, status: string) => ({
  id, status, model: 'model_a', method: { type: 'grpo' }, current_step: 40, total_steps: 40, created_at: new Date().toISOString(), suffix: null,
});

const COMPARISON: JobComparison = {
  object: 'job_comparison',
  jobs: [
    { id: 'job_a', status: 'succeeded', method_type: 'grpo', model: 'model_x', seed: 1, current_step: 3, total_steps: 3, created_at: '2026-12-06T10:00:00Z', finished_at: '2026-12-06T10:05:00Z', hyperparameters: { 'grpo.learning_rate': 0.0003, 'grpo.beta': 0, 'lora.r': 8 } },
    { id: 'job_b', status: 'running', method_type: 'grpo', model: 'model_x', seed: 2, suffix: 'hi-lr', current_step: 2, total_steps: 3, created_at: '2026-12-06T10:00:00Z', finished_at: null, hyperparameters: { 'grpo.learning_rate': 0.001, 'lora.r': 8 } },
  ],
  differences: { 'grpo.learning_rate': { job_a: 0.0003, job_b: 0.001 }, 'grpo.beta': { job_a: 0, job_b: null } },
  metrics: {
    'train/reward/mean': {
      job_a: [{ step: 1, value: 0.1, elapsed_seconds: 0.5 }, { step: 2, value: 0.2, elapsed_seconds: 1 }, { step: 3, value: 0.3, elapsed_seconds: 1.5 }],
      job_b: [{ step: 1, value: 0.15, elapsed_seconds: 0.25 }, { step: 2, value: 0.35, elapsed_seconds: 0.75 }],
    },
  },
  metric_names: ['eval/accuracy', 'train/loss', 'train/reward/mean'],
};

describe('Jobs: picking jobs to compare', () => {
  it('enables Compare for 2 jobs and opens the comparison of their ids, in the order ticked', async () => {
    storeKey('tro_k');
    mockFetch({
      'GET /v1/jobs?': () => list([job('job_1', 'succeeded'), job('job_2', 'succeeded'), job('job_3', 'running')]),
      'GET /v1/jobs/': () => json({ job: 'x', metrics: {} }),
      'GET /v1/models': () => list([]),
    });
    at('/jobs', <>
      <Route path="/jobs" element={<Jobs />} />
      <Route path="/compare" element={<Where />} />
    </>);
    const compare = await screen.findByRole('button', { name: 'Compare (0)' });
    expect(compare).toBeDisabled();
    await userEvent.click(screen.getByRole('checkbox', { name: 'Select job_3 for comparison' }));
    expect(screen.getByRole('button', { name: 'Compare (1)' })).toBeDisabled();
    await userEvent.click(screen.getByRole('checkbox', { name: 'Select job_1 for comparison' }));
    await userEvent.click(screen.getByRole('button', { name: 'Compare (2)' }));
    expect(await screen.findByTestId('where')).toHaveTextContent('/compare?ids=job_3,job_1');
  });
});

describe('Compare', () => {
  it('overlays one series per job, switches to wall time, and lists exactly the differing hyperparameters', async () => {
    storeKey('tro_k');
    const calls = mockFetch({ 'GET /v1/jobs/compare': () => json(COMPARISON) });
    at('/compare?ids=job_a,job_b', <Route path="/compare" element={<Compare />} />);

    const chart = await screen.findByRole('figure', { name: /train\/reward\/mean/ });
    expect(chart).toHaveAttribute('data-points', '5');
    expect(calls[0].url).toBe('/v1/jobs/compare?ids=job_a,job_b&names=train%2Freward%2Fmean');
    // one series per job, named as in the legend, against the steps
    let plot = plots().at(-1)!;
    expect(plot.opts.series.map((s) => s.label)).toEqual(['step', 'job_a', 'hi-lr · job_b']);
    expect(plot.data).toEqual([[1, 2, 3], [0.1, 0.2, 0.3], [0.15, 0.35, null]]);
    const legend = screen.getByRole('list', { name: 'Jobs compared' });
    expect(within(legend).getAllByRole('listitem').map((li) => li.textContent)).toEqual(['job_a succeeded', 'hi-lr · job_b running']);

    // wall time: the points' elapsed_seconds become the x axis
    await userEvent.click(screen.getByRole('radio', { name: 'wall time' }));
    plot = plots().at(-1)!;
    expect(plot.opts.axes[0].label).toBe('training time (s)');
    expect(plot.data).toEqual([[0.25, 0.5, 0.75, 1, 1.5], [null, 0.1, null, 0.2, 0.3], [0.15, null, 0.35, null, null]]);

    // the differences: rows are the differing keys only (lora.r is the same), cells unlike job_a's marked
    const table = screen.getByRole('table', { name: /Cells unlike the first job's/ });
    const rows = within(table).getAllByRole('row').slice(1);
    expect(rows.map((r) => within(r).getByRole('rowheader').textContent)).toEqual(['grpo.beta', 'grpo.learning_rate']);
    expect(within(rows[0]).getAllByRole('cell').map((c) => c.textContent)).toEqual(['0', '—']);
    expect(within(rows[1]).getAllByRole('cell').map((c) => [c.textContent, c.hasAttribute('data-changed')])).toEqual([['0.0003', false], ['0.001', true]]);
    const jobRows = within(screen.getByRole('table', { name: 'Jobs' })).getAllByRole('row');
    expect(within(jobRows[2]).getAllByRole('cell').map((c) => c.textContent)).toEqual(['hi-lr · job_b', 'running', 'grpo', 'model_x', '2', '2/3']);
  });

  it('asks for a metric when it is picked and draws one chart per metric', async () => {
    storeKey('tro_k');
    const loss = { job_a: [{ step: 1, value: 2, elapsed_seconds: null }], job_b: [{ step: 1, value: 3, elapsed_seconds: null }] };
    const calls = mockFetch({
      'GET /v1/jobs/compare': (url) => json({ ...COMPARISON, metrics: url.includes('train%2Floss') ? { ...COMPARISON.metrics, 'train/loss': loss } : COMPARISON.metrics }),
    });
    at('/compare?ids=job_a,job_b', <Route path="/compare" element={<Compare />} />);
    await screen.findByRole('figure', { name: /train\/reward\/mean/ });
    // the last picked metric cannot be unticked (the API would then send every metric)
    expect(screen.getByRole('checkbox', { name: 'train/reward/mean' })).toBeDisabled();
    await userEvent.click(screen.getByRole('checkbox', { name: 'train/loss' }));
    expect(await screen.findByRole('figure', { name: /train\/loss: 2 points/ })).toBeInTheDocument();
    expect(calls.at(-1)!.url).toBe('/v1/jobs/compare?ids=job_a,job_b&names=train%2Freward%2Fmean,train%2Floss');
    expect(screen.getAllByRole('figure')).toHaveLength(2);
    // train/loss recorded no step times: on the wall-time axis the legend says so
    await userEvent.click(screen.getByRole('checkbox', { name: 'train/reward/mean' }));
    await userEvent.click(screen.getByRole('radio', { name: 'wall time' }));
    await waitFor(() => expect(screen.getByRole('list', { name: 'Jobs compared' })).toHaveTextContent('no step times recorded'));
  });

  it('opens on the first metric the jobs have when they have no reward (an SFT job)', async () => {
    storeKey('tro_k');
    const accuracy = { job_a: [{ step: 1, value: 0.5, elapsed_seconds: 1 }], job_b: [] };
    const calls = mockFetch({
      'GET /v1/jobs/compare': (url) => json({
        ...COMPARISON, metric_names: ['eval/accuracy', 'train/loss'], metrics: url.includes('eval%2Faccuracy') ? { 'eval/accuracy': accuracy } : {},
      }),
    });
    at('/compare?ids=job_a,job_b', <Route path="/compare" element={<Compare />} />);
    expect(await screen.findByRole('figure', { name: /eval\/accuracy: 1 points/ })).toBeInTheDocument();
    expect(calls.map((c) => c.url)).toEqual([
      '/v1/jobs/compare?ids=job_a,job_b&names=train%2Freward%2Fmean',
      '/v1/jobs/compare?ids=job_a,job_b&names=eval%2Faccuracy',
    ]);
  });

  it('shows the API refusal of the ids', async () => {
    storeKey('tro_k');
    mockFetch({
      'GET /v1/jobs/compare': () => problem(400, 'invalid_parameter', 'Compare 2 to 10 distinct jobs.', [{ pointer: '/ids', detail: 'job_a appears twice' }]),
    });
    at('/compare?ids=job_a,job_a', <Route path="/compare" element={<Compare />} />);
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('Could not compare these jobs: Compare 2 to 10 distinct jobs. (invalid_parameter)');
    expect(alert).toHaveTextContent('/ids job_a appears twice');
    expect(screen.queryByRole('figure')).toBeNull();
  });
});
