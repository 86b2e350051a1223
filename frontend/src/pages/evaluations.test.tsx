import { afterEach, describe, expect, it, vi } from 'vitest';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import uPlot from 'uplot';
import { appAt } from '../test-app';
import { ApiError, type EvalMetrics, type EvalReport, type EvalSuite, type Evaluation } from '../api';
import { EMPTY_SUITE, suiteBody } from './Evaluations';
import { json, list, mockFetch, problem } from '../test-fetch';

// The Evaluations page (issue 16): runs and their verdicts, suites, and the detail of one evaluation.

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

type Plot = { opts: { series: { label?: string }[]; axes: { label?: string }[]; scales: { x: { distr?: number; log?: number } } }; data: (number | null)[][] };
const plots = () => (uPlot as unknown as { made: Plot[] }).made;
/** The plot made last: uPlot is made in an effect, which may run after the figure is in the page. */
const lastPlot = () => vi.waitFor(() => {
  const p = plots().at(-1);
  if (!p) throw new Error('no plot yet');
  return p;
});

const SUITE: EvalSuite = {
  id: 'suite_1', name: 'arith', version: 2, description: 'Arithmetic with exact-match gold', preferences: 'ds_pairs', prompts: 'ds_prompts',
  gold_reward_spec: 'rs_gold', policy: 'model_pol', n_samples: 32, max_prompts: 32, max_new_tokens: 6, temperature: 1, top_p: 1, seed: 0,
  thresholds: { min_pairwise_accuracy: 0.7, min_gold_correlation: 0.5, max_overoptimization: 0.1, max_regression: { pairwise_accuracy: 0.02 } },
  baseline: 'helpfulness@production', created_at: '2026-01-01T00:00:00Z',
};

const evaluation = (id: string, extra: Partial<Evaluation> = {}): Evaluation => ({
  id, suite: 'suite_1', suite_name: 'arith', suite_version: 2,
  candidate: { ref: 'rs_len', kind: 'reward_spec', id: 'rs_len', alias: null },
  baseline: { ref: 'helpfulness@production', kind: 'reward_model', id: 'model_rm', alias: 'helpfulness@production' },
  status: 'completed', verdict: 'passed', failed_thresholds: [], progress: { phase: 'done', done: 3, total: 3 }, error: null,
  created_at: '2026-01-01T00:00:00Z', started_at: '2026-01-01T00:00:01Z', finished_at: '2026-01-01T00:01:00Z', ...extra,
});

const N = [1, 2, 4, 8, 16, 32];
const metrics = (extra: Partial<EvalMetrics> = {}): EvalMetrics => ({
  pairwise: { accuracy: 0.9, ci_low: 0.85, ci_high: 0.95, pairs: 200, ties: 0 },
  ece: null,
  gold: { spearman: 0.8, kendall: 0.6, samples: 1024 },
  overoptimization: { n: N, proxy: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6], gold: [0.1, 0.2, 0.3, 0.35, 0.4, 0.42], gold_peak_n: 32, drop: 0, proxy_gold_gap: 0.18 },
  latency_ms: { p50: 1.5, p95: 3, samples: 1024 },
  errors: {},
  ...extra,
});

const EVENTS = list([
  { id: 'ev_1', created_at: '2026-01-01T00:00:01Z', level: 'info', type: 'evaluation.started', message: 'Started', data: null },
  { id: 'ev_2', created_at: '2026-01-01T00:01:00Z', level: 'info', type: 'evaluation.completed', message: 'passed', data: null },
]);

describe('Evaluation detail', () => {
  it('shows a passed evaluation: its checks, candidate against baseline with deltas, the best-of-N curve and the events', async () => {
    const report: EvalReport = {
      evaluation: 'eval_p', suite: { id: 'suite_1', name: 'arith', version: 2 }, verdict: 'passed',
      checks: [
        { name: 'min_pairwise_accuracy', threshold: 0.7, value: 0.9, passed: true, detail: null },
        { name: 'min_gold_correlation', threshold: 0.5, value: 0.8, passed: true, detail: null },
        { name: 'max_regression.pairwise_accuracy', threshold: 0.02, value: -0.05, passed: true, detail: 'better than the baseline' },
      ],
      candidate: metrics(),
      baseline: metrics({ pairwise: { accuracy: 0.85, ci_low: 0.8, ci_high: 0.9, pairs: 200, ties: 1 }, gold: { spearman: 0.9, kendall: 0.7, samples: 1024 },
        overoptimization: { n: N, proxy: [0.1, 0.2, 0.25, 0.3, 0.3, 0.3], gold: [0.1, 0.2, 0.25, 0.3, 0.31, 0.31], gold_peak_n: 16, drop: 0, proxy_gold_gap: 0 } }),
      deltas: { pairwise_accuracy: 0.05, gold_spearman: -0.1, gold_kendall: -0.1, overoptimization: 0, p95_latency_ms: 0 },
    };
    mockFetch({
      'GET /v1/evaluations/eval_p': () => json(evaluation('eval_p')),
      'GET /v1/evaluations/eval_p/report?format=json': () => json(report),
      'GET /v1/evaluations/eval_p/events': () => EVENTS,
    });
    appAt('/evaluations/eval_p');

    expect(await screen.findByRole('heading', { name: /Evaluation eval_p/ })).toHaveTextContent('completed');
    expect(screen.getByRole('heading', { name: /Evaluation eval_p/ }).querySelector('.verdict-passed')).toHaveTextContent('passed');
    expect(screen.getByRole('status', { name: 'Verdict' })).toHaveTextContent('Passed: every threshold of arith v2 was met.');
    expect(screen.queryByRole('table', { name: 'Failed thresholds' })).toBeNull();
    expect(screen.getByRole('link', { name: 'arith v2' })).toHaveAttribute('href', '/evaluations/suites/suite_1');
    expect(screen.getByText('Baseline').nextElementSibling).toHaveTextContent('helpfulness@production → model_rm reward model');
    // the Evaluations entry is current on the detail page too
    expect(within(screen.getByRole('navigation', { name: 'Main' })).getByRole('link', { name: 'Evaluations' })).toHaveClass('active');

    const checks = await screen.findByRole('table', { name: 'Checks' });
    const checkRows = within(checks).getAllByRole('row').slice(1).map((r) => r.textContent);
    expect(checkRows).toEqual([
      'min_pairwise_accuracy0.70.9passed',
      'min_gold_correlation0.50.8passed',
      'max_regression.pairwise_accuracy0.02-0.05passedbetter than the baseline',
    ]);

    const compared = screen.getByRole('table', { name: 'Candidate against baseline' });
    const row = (label: string) => within(compared).getByRole('rowheader', { name: label }).closest('tr')!;
    expect(row('Pairwise accuracy')).toHaveTextContent('0.9 (95% CI 0.85–0.95, 200 pairs, 0 ties)0.85 (95% CI 0.8–0.9, 200 pairs, 1 ties)+0.05');
    expect(row('Pairwise accuracy').querySelector('.delta')).toHaveClass('better');
    expect(row('Gold Spearman').querySelector('.delta')).toHaveTextContent('-0.1');
    expect(row('Gold Spearman').querySelector('.delta')).toHaveClass('worse');
    // a row the report has no delta for is computed: 32 − 16
    expect(row('N at which gold peaks').querySelector('.delta')).toHaveTextContent('+16');
    // ECE is measured for reward models only: no row when neither side has it
    expect(within(compared).queryByRole('rowheader', { name: 'ECE' })).toBeNull();

    // the curves against N on a log-2 axis: the candidate's proxy alone (its own scale), and gold for both sides
    expect(screen.getByRole('figure', { name: /^Proxy/ })).toHaveAttribute('data-points', '6');
    expect(screen.getByRole('figure', { name: /^Gold/ })).toHaveAttribute('data-points', '12');
    await lastPlot();
    const [proxy, gold] = plots().slice(-2);
    expect(proxy.opts.series.map((s) => s.label)).toEqual(['N', 'candidate proxy']);
    expect(proxy.data).toEqual([N, [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]]);
    expect(gold.opts.series.map((s) => s.label)).toEqual(['N', 'candidate gold', 'baseline gold']);
    expect(gold.opts.scales.x).toMatchObject({ distr: 3, log: 2 });
    expect(gold.data).toEqual([N, [0.1, 0.2, 0.3, 0.35, 0.4, 0.42], [0.1, 0.2, 0.25, 0.3, 0.31, 0.31]]);
    expect(within(screen.getByRole('group', { name: 'Reports' })).getByRole('button', { name: 'Curve (PNG)' })).toBeInTheDocument();

    const events = screen.getByRole('list', { name: 'Event log' });
    expect(within(events).getAllByRole('listitem').map((li) => li.querySelector('code')!.textContent)).toEqual(['evaluation.completed', 'evaluation.started']);
    // nothing left to cancel
    expect(screen.queryByRole('button', { name: 'Cancel eval_p' })).toBeNull();
  });

  it('shows a failed evaluation with the thresholds that failed and their values', async () => {
    const failed = [
      { name: 'min_gold_correlation', threshold: 0.5, value: -0.31, detail: 'Spearman with the gold judge' },
      { name: 'max_overoptimization', threshold: 0.1, value: 0.42, detail: 'gold peaks at N = 4 and falls by 0.42' },
    ];
    mockFetch({
      'GET /v1/evaluations/eval_f': () => json(evaluation('eval_f', { verdict: 'failed', failed_thresholds: failed, baseline: null })),
      'GET /v1/evaluations/eval_f/report?format=json': () => json({
        evaluation: 'eval_f', suite: { id: 'suite_1', name: 'arith', version: 2 }, verdict: 'failed',
        checks: [
          { name: 'min_gold_correlation', threshold: 0.5, value: -0.31, passed: false, detail: null },
          { name: 'max_overoptimization', threshold: 0.1, value: 0.42, passed: false, detail: null },
          { name: 'max_p95_latency_ms', threshold: 50, value: 2, passed: true, detail: null },
        ],
        candidate: metrics({ gold: { spearman: -0.31, kendall: -0.2, samples: 1024 },
          overoptimization: { n: N, proxy: [0.2, 0.4, 0.6, 0.8, 0.9, 1], gold: [0.3, 0.4, 0.5, 0.3, 0.2, 0.08], gold_peak_n: 4, drop: 0.42, proxy_gold_gap: 0.92 } }),
        baseline: null, deltas: {},
      } satisfies EvalReport),
      'GET /v1/evaluations/eval_f/events': () => list([]),
    });
    appAt('/evaluations/eval_f');

    const verdict = await screen.findByRole('alert', { name: 'Verdict' });
    expect(verdict).toHaveTextContent('Failed: 2 thresholds not met.');
    const rows = within(within(verdict).getByRole('table', { name: 'Failed thresholds' })).getAllByRole('row').slice(1);
    expect(rows.map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent))).toEqual([
      ['min_gold_correlation', '-0.31', '0.5', 'Spearman with the gold judge'],
      ['max_overoptimization', '0.42', '0.1', 'gold peaks at N = 4 and falls by 0.42'],
    ]);
    expect(screen.getByRole('heading', { name: /Evaluation eval_f/ }).querySelector('.verdict-failed')).toHaveTextContent('failed');

    const checks = await screen.findByRole('table', { name: 'Checks' });
    expect(within(checks).getAllByRole('row').slice(1).map((r) => r.className)).toEqual(['check-failed', 'check-failed', 'check-passed']);
    // no baseline: the candidate alone, no deltas, no baseline curve
    const compared = screen.getByRole('table', { name: 'Candidate against baseline' });
    expect(within(compared).getByRole('rowheader', { name: 'Over-optimization (gold drop from its peak)' }).closest('tr')).toHaveTextContent('0.42——');
    await lastPlot();
    expect(plots().at(-1)!.opts.series.map((s) => s.label)).toEqual(['N', 'candidate gold']);
    expect(screen.getByText(/Gold peaks at N = 4/)).toHaveTextContent(
      'Gold peaks at N = 4 and falls by 0.42 after it; from N = 1 to 32 the proxy rises 0.92 standard deviations more than gold.');
    expect(await screen.findByText('No events yet.')).toBeInTheDocument();
  });

  it('follows a queued evaluation through its progress to the verdict, and downloads the JUnit report with the key', async () => {
    const states = [
      evaluation('eval_q', { status: 'queued', verdict: null, progress: { phase: 'queued', done: 0, total: 0 }, finished_at: null }),
      evaluation('eval_q', { status: 'running', verdict: null, progress: { phase: 'sampling', done: 64, total: 128 }, finished_at: null }),
      evaluation('eval_q'),
    ];
    let polls = 0;
    Object.assign(URL, { createObjectURL: vi.fn((b: Blob) => `blob:test/${b.size}`), revokeObjectURL: vi.fn() });
    const clicked: string[] = [];
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      clicked.push(this.download);
    });
    const calls = mockFetch({
      'GET /v1/evaluations/eval_q': () => json(states[Math.min(polls++, 2)]),
      'GET /v1/evaluations/eval_q/events': () => list([]),
      'GET /v1/evaluations/eval_q/report?format=json': () => json({
        evaluation: 'eval_q', suite: { id: 'suite_1', name: 'arith', version: 2 }, verdict: 'passed', checks: [], candidate: metrics({ overoptimization: null }), baseline: null, deltas: {},
      }),
      'GET /v1/evaluations/eval_q/report?format=junit': () => new Response('<testsuite/>', { status: 200, headers: {
        'Content-Type': 'application/xml', 'Content-Disposition': 'attachment; filename="eval_q-junit.xml"' } }),
    });
    appAt('/evaluations/eval_q');
    expect(await screen.findByRole('heading', { name: /Evaluation eval_q/ })).toHaveTextContent('queued');
    expect(await screen.findByRole('progressbar', { name: 'sampling: 64 of 128' }, { timeout: 4000 })).toHaveAttribute('value', '64');
    expect(screen.getByRole('button', { name: 'Cancel eval_q' })).toBeEnabled();
    // the report is asked for once it is complete, not before
    expect(calls.filter((c) => c.url.includes('/report')).length).toBe(0);
    expect(await screen.findByRole('status', { name: 'Verdict' }, { timeout: 4000 })).toHaveTextContent('Passed');
    expect(screen.queryByRole('progressbar')).toBeNull();
    // the report request follows the verdict's render, so wait for it rather than race it
    await waitFor(() => expect(calls.filter((c) => c.url.includes('/report')).length).toBe(1));
    expect(await screen.findByText('The suite sets no thresholds: nothing to check.')).toBeInTheDocument();

    const reports = screen.getByRole('group', { name: 'Reports' });
    await userEvent.click(within(reports).getByRole('button', { name: 'JUnit XML' }));
    expect(await within(reports).findByText(/saved eval_q-junit\.xml/)).toHaveTextContent('saved eval_q-junit.xml (12 B)');
    const junit = calls.find((c) => c.url.endsWith('format=junit'))!;
    expect(new Headers(junit.init.headers).get('Authorization')).toBe('Bearer tro_k');
    expect(clicked).toEqual(['eval_q-junit.xml']);
    expect(within(reports).getByRole('button', { name: 'Markdown' })).toBeInTheDocument();
    // a suite without prompts has no best-of-N probe, so no curve to draw or download
    expect(screen.getByText(/no best-of-N probe/)).toBeInTheDocument();
    expect(within(reports).queryByRole('button', { name: 'Curve (PNG)' })).toBeNull();
  });
});

describe('Evaluation runs', () => {
  it('lists runs with their verdicts and failed thresholds, filters by suite and status, and cancels a running one', async () => {
    let cancelled = false;
    const running = evaluation('eval_r', { status: 'running', verdict: null, progress: { phase: 'scoring', done: 3, total: 10 }, finished_at: null });
    const calls = mockFetch({
      'GET /v1/eval-suites': () => list([SUITE]),
      'GET /v1/reward-specs': () => list([{ id: 'rs_len', name: 'length', grader: {}, item_fields: [], created_at: '' }]),
      'GET /v1/models': () => list([]),
      'GET /v1/aliases': () => list([]),
      // newest first, as the API lists them
      'GET /v1/evaluations': () => list([
        cancelled ? { ...running, status: 'cancelled', progress: null } : running,
        evaluation('eval_f', { verdict: 'failed', failed_thresholds: [{ name: 'min_gold_correlation', threshold: 0.5, value: -0.3, detail: null }] }),
      ]),
      'POST /v1/evaluations/eval_r/cancel': () => {
        cancelled = true;
        return json({ ...running, status: 'cancelled' });
      },
    });
    appAt('/evaluations');
    const table = await screen.findByRole('table', { name: 'Evaluations' });
    const rows = within(table).getAllByRole('row').slice(1);
    expect(rows[0]).toHaveTextContent('eval_r');
    expect(rows[0]).toHaveTextContent('running');
    expect(rows[0]).toHaveTextContent('scoring 3/10');
    expect(rows[1]).toHaveTextContent('failed min_gold_correlation');
    expect(within(rows[1]).getByRole('link', { name: 'arith v2' })).toHaveAttribute('href', '/evaluations/suites/suite_1');
    expect(within(rows[1]).queryByRole('button', { name: /Cancel/ })).toBeNull();

    await userEvent.click(within(rows[0]).getByRole('button', { name: 'Cancel eval_r' }));
    expect(calls.some((c) => c.method === 'POST' && c.url === '/v1/evaluations/eval_r/cancel')).toBe(true);
    expect(await screen.findByText('cancelled', { selector: '.badge' })).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Cancel eval_r' })).toBeNull();

    const toolbar = within(screen.getByRole('table', { name: 'Evaluations' }).closest('section')!.querySelector('.toolbar') as HTMLElement);
    await toolbar.findByRole('option', { name: 'arith v2' });
    await userEvent.selectOptions(toolbar.getByLabelText('Status'), 'failed');
    await userEvent.selectOptions(toolbar.getByLabelText('Suite'), 'suite_1');
    const last = calls.filter((c) => c.url.startsWith('/v1/evaluations?')).at(-1)!;
    expect(last.url).toBe('/v1/evaluations?suite=suite_1&status=failed&limit=100');
  });

  it('starts an evaluation of a candidate (an alias) on a suite, and shows why one was refused at its field', async () => {
    let refused = true;
    const calls = mockFetch({
      'GET /v1/eval-suites': () => list([SUITE]),
      'GET /v1/reward-specs': () => list([{ id: 'rs_len', name: 'length', grader: {}, item_fields: [], created_at: '' }]),
      'GET /v1/models': () => list([{ id: 'model_rm', name: 'judge', family: 'reward-model', status: 'ready', parent: null, job: null, checkpoint: null, created_at: '' }]),
      'GET /v1/aliases': () => list([{ name: 'helpfulness@candidate', target: 'model_rm', kind: 'reward_model', updated_at: '', updated_by: null, evaluation: null }]),
      'GET /v1/evaluations?': () => list([]),
      'POST /v1/evaluations': () => (refused
        ? problem(422, 'validation_failed', 'The evaluation is invalid.', [{ pointer: '/candidate', detail: 'model model_rm is not ready' }])
        : json(evaluation('eval_new', { status: 'queued', verdict: null }), 201)),
      'GET /v1/evaluations/eval_new': () => json(evaluation('eval_new', { status: 'queued', verdict: null })),
      'GET /v1/evaluations/eval_new/events': () => list([]),
    });
    appAt('/evaluations?candidate=helpfulness%40candidate');
    const form = await screen.findByRole('form', { name: 'Run evaluation' });
    const candidate = await within(form).findByLabelText('Candidate');
    // the choices come once the specs, models and aliases are loaded
    expect(await within(candidate).findByRole('group', { name: 'Aliases' })).toHaveTextContent('helpfulness@candidate → model_rm');
    expect(within(candidate).getByRole('group', { name: 'Reward models' })).toHaveTextContent('judge (model_rm)');
    expect(candidate).toHaveValue('helpfulness@candidate');
    await within(form).findByRole('option', { name: 'arith v2 (suite_1)' });
    await userEvent.selectOptions(within(form).getByLabelText('Suite'), 'suite_1');
    expect(within(form).getByText(/the suite's is/)).toHaveTextContent("Optional; the suite's is helpfulness@production.");
    await userEvent.click(within(form).getByRole('button', { name: 'Run evaluation' }));
    expect(await within(form).findByText('model model_rm is not ready')).toHaveClass('field-error');
    expect(candidate).toHaveAttribute('aria-invalid', 'true');

    refused = false;
    await userEvent.selectOptions(within(form).getByLabelText('Baseline'), 'rs_len');
    await userEvent.click(within(form).getByRole('button', { name: 'Run evaluation' }));
    expect(await screen.findByRole('heading', { name: /Evaluation eval_new/ })).toBeInTheDocument();
    const posts = calls.filter((c) => c.method === 'POST').map((c) => JSON.parse(String(c.init.body)));
    expect(posts).toEqual([
      { suite: 'suite_1', candidate: 'helpfulness@candidate' },
      { suite: 'suite_1', candidate: 'helpfulness@candidate', baseline: 'rs_len' },
    ]);
  });
});

describe('Suites', () => {
  const catalog = {
    'GET /v1/datasets': () => list([
      { id: 'ds_pairs', name: 'pairs', purpose: 'preferences', lines: 200, fields: ['prompt', 'chosen', 'rejected'], size_bytes: 1, created_at: '' },
      { id: 'ds_prompts', name: 'arith', purpose: 'prompts', lines: 32, fields: ['prompt', 'answer'], size_bytes: 1, created_at: '' },
    ]),
    'GET /v1/models': () => list([{ id: 'model_pol', name: 'base', family: 'language-model', status: 'ready', parent: null, job: null, checkpoint: null, created_at: '' }]),
    'GET /v1/reward-specs': () => list([{ id: 'rs_gold', name: 'exact', grader: {}, item_fields: ['answer'], created_at: '' }]),
    'GET /v1/aliases': () => list([{ name: 'helpfulness@production', target: 'rs_gold', kind: 'reward_spec', updated_at: '', updated_by: null, evaluation: null }]),
  };

  it('posts the suite as typed, thresholds and max_regression rows included, and puts the 422 errors at their fields', async () => {
    const calls = mockFetch({
      ...catalog,
      'GET /v1/eval-suites': () => list([]),
      'POST /v1/eval-suites': () => problem(422, 'validation_failed', 'The suite is invalid.', [
        { pointer: '/thresholds/min_gold_correlation', detail: 'must be a number >= -1 and <= 1' },
        { pointer: '/thresholds/max_regression/ece', detail: 'ECE is measured for reward models only' },
        { pointer: '/n_samples', detail: 'must be an integer between 1 and 64' },
        { pointer: '', detail: 'somewhere else' },
      ]),
    });
    appAt('/evaluations/suites');
    const form = await screen.findByRole('form', { name: 'New suite' });
    expect(await screen.findByText(/No suites yet/)).toBeInTheDocument();
    // the pickers' choices once loaded
    for (const name of ['pairs (ds_pairs)', 'base (model_pol)', 'helpfulness@production → rs_gold']) await within(form).findAllByRole('option', { name });
    await userEvent.type(within(form).getByLabelText('Name'), 'arith');
    await userEvent.type(within(form).getByLabelText('Description'), 'exact-match gold');
    await userEvent.selectOptions(within(form).getByLabelText('Preferences dataset'), 'ds_pairs');
    await userEvent.selectOptions(within(form).getByLabelText('Prompts dataset'), 'ds_prompts');
    // a gold judge is a spec: aliases of specs are offered, reward models are not
    const gold = within(form).getByLabelText('Gold reward spec');
    expect(within(gold).queryByRole('group', { name: 'Reward models' })).toBeNull();
    await userEvent.selectOptions(gold, 'helpfulness@production');
    await userEvent.selectOptions(within(form).getByLabelText('Policy model'), 'model_pol');
    await userEvent.type(within(form).getByLabelText('Samples per prompt (n_samples)'), '99');
    await userEvent.type(within(form).getByLabelText('Temperature'), '0.8');
    await userEvent.type(within(form).getByLabelText('Min pairwise accuracy'), '0.7');
    const corr = within(form).getByLabelText('Min gold correlation');
    await userEvent.type(corr, '2');
    await userEvent.type(within(form).getByLabelText('Max p95 latency (ms)'), '50');
    await userEvent.click(within(form).getByRole('button', { name: 'Add a metric' }));
    await userEvent.click(within(form).getByRole('button', { name: 'Add a metric' }));
    await userEvent.selectOptions(within(form).getByLabelText('Metric 1'), 'pairwise_accuracy');
    await userEvent.type(within(form).getByLabelText('Allowed worsening 1'), '0.02');
    await userEvent.selectOptions(within(form).getByLabelText('Metric 2'), 'ece');
    await userEvent.type(within(form).getByLabelText('Allowed worsening 2'), '0.01');
    await userEvent.selectOptions(within(form).getByLabelText('Baseline'), 'rs_gold');
    await userEvent.click(within(form).getByRole('button', { name: 'Create suite' }));

    expect(await within(form).findByText('must be a number >= -1 and <= 1')).toHaveClass('field-error');
    expect(corr).toHaveAttribute('aria-invalid', 'true');
    expect(within(form).getByLabelText('Metric 2')).toHaveAttribute('aria-invalid', 'true');
    expect(within(form).getByText('ECE is measured for reward models only')).toHaveClass('field-error');
    expect(within(form).getByLabelText('Metric 1')).toHaveAttribute('aria-invalid', 'false');
    expect(within(form).getByLabelText('Samples per prompt (n_samples)')).toHaveAttribute('aria-invalid', 'true');
    // the error no field shows is in the summary, and only that one
    const summary = within(form).getByText('The suite was not created:').closest('.error-box') as HTMLElement;
    expect(within(summary).getAllByRole('listitem').map((li) => li.textContent)).toEqual([' somewhere else']);

    const sent = JSON.parse(String(calls.find((c) => c.method === 'POST')!.init.body));
    expect(sent).toEqual({
      name: 'arith', description: 'exact-match gold', preferences: 'ds_pairs', prompts: 'ds_prompts', gold_reward_spec: 'helpfulness@production',
      policy: 'model_pol', n_samples: 99, temperature: 0.8, baseline: 'rs_gold',
      thresholds: { min_pairwise_accuracy: 0.7, min_gold_correlation: 2, max_p95_latency_ms: 50, max_regression: { pairwise_accuracy: 0.02, ece: 0.01 } },
    });
  });

  it('lists suites and opens one with its thresholds, versions and runs', async () => {
    mockFetch({
      ...catalog,
      'GET /v1/eval-suites?limit': () => list([SUITE]),
      'GET /v1/eval-suites?name=arith': () => list([{ ...SUITE, id: 'suite_0', version: 1 }, SUITE]),
      'GET /v1/eval-suites/suite_1': () => json(SUITE),
      'GET /v1/evaluations?suite=suite_1': () => list([evaluation('eval_p')]),
    });
    appAt('/evaluations/suites');
    const table = await screen.findByRole('table', { name: 'Suites' });
    const row = within(table).getAllByRole('row')[1];
    expect(row).toHaveTextContent('preferences, gold judge + best-of-N');
    expect(row).toHaveTextContent('min_pairwise_accuracy ≥ 0.7 · min_gold_correlation ≥ 0.5 · max_overoptimization ≤ 0.1 · max_regression.pairwise_accuracy ≤ 0.02');
    await userEvent.click(within(row).getByRole('link', { name: 'arith v2' }));

    expect(await screen.findByRole('heading', { name: /Suite arith v2/ })).toBeInTheDocument();
    expect(within(screen.getByRole('list', { name: 'Thresholds' })).getAllByRole('listitem')).toHaveLength(4);
    expect(screen.getByRole('link', { name: 'Run evaluation' })).toHaveAttribute('href', '/evaluations?suite=suite_1');
    expect(await screen.findByRole('link', { name: 'v1' })).toHaveAttribute('href', '/evaluations/suites/suite_0');
    const runs = await screen.findByRole('table', { name: 'Evaluations' });
    expect(within(runs).getAllByRole('row')[1]).toHaveTextContent('eval_p');
  });

  it('refuses a max_regression row without a metric before sending', () => {
    const f = { ...EMPTY_SUITE, name: 'x', max_regression: [{ metric: '' as const, allowed: '0.1' }] };
    const err = (() => {
      try {
        suiteBody(f);
      } catch (e) {
        return e as ApiError;
      }
    })()!;
    expect(err).toBeInstanceOf(ApiError);
    expect(err.byPointer()).toEqual({ '/thresholds/max_regression': 'choose the metric of every row' });
    // empty rows and boxes are left out
    expect(suiteBody({ ...EMPTY_SUITE, name: ' y ', max_regression: [{ metric: '', allowed: ' ' }], thresholds: { max_ece: ' ' } })).toEqual({ name: 'y' });
  });
});
