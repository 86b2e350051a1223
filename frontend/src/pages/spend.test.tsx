import { afterEach, describe, expect, it, vi } from 'vitest';
import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { MemoryRouter, Route, Routes } from 'react-router-dom';
import { AuthProvider } from '../auth';
import { JobDetail } from './JobDetail';
import { budgetPause, newBudget } from './JobSpendCard';
import { budgetBody } from './LaunchJob';
import { LAUNCH_CATALOG, launchAt } from '../test-app';
import { storeKey, type Job, type JobEvent } from '../api';
import { json, list, mockFetch, problem } from '../test-fetch';

// A job's live spend against its budget on its page, and raising a spent budget to resume (issue 17).

afterEach(() => vi.unstubAllGlobals());

const SPEND = { amount: 1.2, device_seconds: 245, estimate: 4.8, estimate_basis: '2.4 s/step measured on 3 comparable runs', currency: 'USD' };
const job = (status: Job['status'], extra: Partial<Job> = {}) => ({
  id: 'job_s', status, model: 'model_a', dataset: 'ds_p', eval_dataset: null, reward_spec: null, eval_reward_spec: null,
  method: { type: 'grpo' }, seed: 1, suffix: null, error: null, result_model: null, current_step: 3, total_steps: 10,
  created_at: '2026-12-06T10:00:00Z', started_at: null, finished_at: null, resources: null, worker: null, wait_reason: null, attempts: 0,
  spend: SPEND, budget: { max_spend: 5 }, ...extra,
}) as Job;

const sse = (messages: { event: string; data: unknown }[] = []) => () =>
  new Response(messages.map((m) => `event: ${m.event}\ndata: ${JSON.stringify(m.data)}\n\n`).join(''), { headers: { 'Content-Type': 'text/event-stream' } });
const event = (id: string, type: string, data: Record<string, unknown> | null = null): JobEvent =>
  ({ id, created_at: '2026-12-06T10:00:00Z', level: 'info', type, message: type, data });

function detail(j: Job, routes: Parameters<typeof mockFetch>[0] = {}) {
  storeKey('tro_k');
  const calls = mockFetch({
    'GET /v1/jobs/job_s': () => json(j),
    'GET /v1/jobs/job_s/metrics': sse(),
    'GET /v1/jobs/job_s/events': sse(),
    'GET /v1/jobs/job_s/checkpoints': () => list([]),
    'GET /v1/jobs/job_s/samples': () => problem(404, 'not_found', 'no samples'),
    'GET /v1/models/': () => json({ id: 'model_a', family: 'language-model' }),
    ...routes,
  });
  render(
    <AuthProvider>
      <MemoryRouter initialEntries={['/jobs/job_s']}>
        <Routes>
          <Route path="/jobs/:id" element={<JobDetail />} />
        </Routes>
      </MemoryRouter>
    </AuthProvider>,
  );
  return calls;
}

describe('Job detail: spend', () => {
  it('shows spend against the budget, device time and the estimate with its basis', async () => {
    detail(job('running'));
    const card = await screen.findByRole('region', { name: 'Spend' });
    expect(card).toHaveTextContent('$1.20 of a $5.00 budget · 4m 05s of device time');
    expect(within(card).getByRole('progressbar', { name: 'Spend of the budget' })).toHaveAttribute('aria-valuetext', '$1.20 of $5.00 (24%)');
    expect(card).toHaveTextContent('Estimated $4.80 before it started: 2.4 s/step measured on 3 comparable runs');
    expect(within(card).queryByRole('form')).toBeNull();
  });

  it('follows the cost/* metrics of the stream as they come', async () => {
    detail(job('running'), {
      'GET /v1/jobs/job_s/metrics': sse([{ event: 'metrics', data: { step: 4, metrics: { 'cost/spend': 2.5, 'cost/device_seconds': 500 } } }]),
    });
    const card = await screen.findByRole('region', { name: 'Spend' });
    expect(await within(card).findByText('$2.50')).toBeInTheDocument();
    expect(card).toHaveTextContent('$2.50 of a $5.00 budget · 8m 20s of device time');
    expect(within(card).getByRole('progressbar')).toHaveAttribute('aria-valuetext', '$2.50 of $5.00 (50%)');
  });

  it('says when a job has no budget', async () => {
    detail(job('running', { budget: null }));
    const card = await screen.findByRole('region', { name: 'Spend' });
    expect(card).toHaveTextContent('$1.20 (no budget)');
    expect(within(card).queryByRole('progressbar')).toBeNull();
  });

  it('has no spend card for a server without spend accounting', async () => {
    detail(job('running', { spend: undefined, budget: undefined }));
    expect(await screen.findByRole('heading', { name: /Job job_s/ })).toBeInTheDocument();
    expect(screen.queryByRole('region', { name: 'Spend' })).toBeNull();
  });

  it('raises a spent budget and resumes, refusing an amount not above the spend without sending it', async () => {
    // the server's state, so that the page's own refreshes (every 2 s) read what the calls made it
    let current = job('paused', { spend: { ...SPEND, amount: 5 } });
    const calls = detail(current, {
      'GET /v1/jobs/job_s': () => json(current),
      'PUT /v1/jobs/job_s/budget': () => json((current = { ...current, budget: { max_spend: 12 } })),
      'POST /v1/jobs/job_s/resume': () => json((current = { ...current, status: 'running' })),
    });
    const form = await screen.findByRole('form', { name: 'Raise the budget' });
    expect(form).toHaveTextContent('its budget is spent');
    expect(screen.getByRole('progressbar', { name: 'Spend of the budget' })).toHaveClass('over');
    const input = within(form).getByLabelText('New budget (USD)');
    await userEvent.type(input, '5');
    await userEvent.click(within(form).getByRole('button', { name: 'Raise budget and resume' }));
    expect(await within(form).findByText('must be more than the $5.00 already spent')).toHaveClass('field-error');
    expect(input).toHaveAttribute('aria-invalid', 'true');
    expect(calls.filter((c) => c.method !== 'GET')).toHaveLength(0);

    await userEvent.clear(input);
    await userEvent.type(input, '12');
    await userEvent.click(within(form).getByRole('button', { name: 'Raise budget and resume' }));
    expect(await screen.findByText('running', { selector: '.badge' })).toBeInTheDocument();
    const sent = calls.filter((c) => c.method !== 'GET');
    expect(sent.map((c) => `${c.method} ${c.url}`)).toEqual(['PUT /v1/jobs/job_s/budget', 'POST /v1/jobs/job_s/resume']);
    expect(JSON.parse(String(sent[0].init.body))).toEqual({ max_spend: 12 });
    expect(screen.queryByRole('form', { name: 'Raise the budget' })).toBeNull();
    expect(screen.getByRole('region', { name: 'Spend' })).toHaveTextContent('$5.00 of a $12.00 budget');
  });

  it('shows why the resume was refused after raising the budget', async () => {
    detail(job('paused', { spend: { ...SPEND, amount: 5 } }), {
      'PUT /v1/jobs/job_s/budget': () => new Response(null, { status: 204 }),
      'POST /v1/jobs/job_s/resume': () => json({ type: 'x', title: 'Payment Required', status: 402, code: 'budget_exceeded',
        detail: 'The team\'s monthly budget has $0.50 left; the job needs an estimated $3.10 more.', estimate: 3.1, remaining: 0.5 }, 402, 'application/problem+json'),
    });
    const form = await screen.findByRole('form', { name: 'Raise the budget' });
    await userEvent.type(within(form).getByLabelText('New budget (USD)'), '9.5');
    await userEvent.click(within(form).getByRole('button', { name: 'Raise budget and resume' }));
    expect(await within(form).findByRole('alert')).toHaveTextContent(
      'Not resumed: The team\'s monthly budget has $0.50 left; the job needs an estimated $3.10 more. (budget_exceeded)');
    expect(screen.getByText('paused', { selector: '.badge' })).toBeInTheDocument();
  });

  it('tells a job paused by the team\'s budget that raising its own would not do', async () => {
    detail(job('paused', { spend: { ...SPEND, amount: 2 } }), {
      'GET /v1/jobs/job_s/events': sse([{ event: 'event', data: event('ev_1', 'job.paused', { reason: 'team_budget' }) }]),
    });
    expect(await screen.findByText(/the team's monthly budget is spent/)).toBeInTheDocument();
    expect(screen.queryByRole('form', { name: 'Raise the budget' })).toBeNull();
  });
});

describe('budgetPause', () => {
  const paused = job('paused', { spend: { ...SPEND, amount: 2 } });
  it('is the job\'s own budget when its spend reached the cap, whatever the events', () => {
    expect(budgetPause(paused, 5, [])).toBe('job');
    expect(budgetPause(paused, 5.01, [event('a', 'job.paused', { reason: 'requested' })])).toBe('job');
    expect(budgetPause(job('running'), 5, [])).toBeNull();
  });

  it('reads the newest pause reason or budget event, unless a resume came after it', () => {
    expect(budgetPause(paused, 2, [])).toBeNull();
    expect(budgetPause(paused, 2, [event('a', 'job.budget_exceeded', { spend: 2, max_spend: 2 })])).toBe('job');
    expect(budgetPause(paused, 2, [event('a', 'budget_exceeded', { reason: 'team_budget' })])).toBe('team');
    expect(budgetPause(paused, 2, [event('a', 'budget_exceeded'), event('b', 'job.paused', { reason: 'team_budget' })])).toBe('team');
    expect(budgetPause(paused, 2, [event('a', 'job.paused', { reason: 'budget' })])).toBe('job');
    expect(budgetPause(paused, 2, [event('a', 'budget_exceeded'), event('b', 'job.resumed'), event('c', 'job.paused', { reason: 'requested' })])).toBeNull();
    expect(budgetPause(paused, 2, [event('a', 'budget_exceeded'), event('b', 'job.started'), event('c', 'job.paused')])).toBeNull();
    // a pause without a reason defers to the budget event before it
    expect(budgetPause(paused, 2, [event('a', 'budget_exceeded'), event('b', 'job.paused')])).toBe('job');
  });
});

describe('newBudget', () => {
  it('takes an amount above what was spent, and refuses the rest at /max_spend', () => {
    expect(newBudget(' 7.5 ', 5, 'USD')).toBe(7.5);
    for (const bad of ['', 'lots', '0', '-1', 'Infinity']) {
      expect(() => newBudget(bad, 0, 'USD')).toThrow('The budget was not raised.');
    }
    expect(() => newBudget('5', 5, 'USD')).toThrow('The budget was not raised.');
  });
});

describe('Launch job: budget', () => {
  function launch(post: () => Response) {
    const calls = mockFetch({ ...LAUNCH_CATALOG, 'POST /v1/jobs': post });
    launchAt();
    return () => calls.filter((c) => c.method === 'POST').map((c) => JSON.parse(String(c.init.body)));
  }
  async function fill() {
    await userEvent.selectOptions(await screen.findByLabelText('Dataset'), 'ds_p');
    await userEvent.selectOptions(screen.getByLabelText('Reward spec'), 'rs_1');
  }

  it('sends no budget when none is set', async () => {
    const posts = launch(() => json(job('queued'), 201));
    await fill();
    await userEvent.click(screen.getByRole('button', { name: 'Launch job' }));
    expect(await screen.findByText('job page')).toBeInTheDocument();
    expect(posts()[0]).not.toHaveProperty('budget');
  });

  it('refuses a max spend that is not above 0 at its field, then shows the team budget\'s 402 with what it says', async () => {
    const posts = launch(() => json({ type: 'x', title: 'Payment Required', status: 402, code: 'budget_exceeded', estimate: 12.4, remaining: 3,
      monthly_limit: 50, detail: 'The job is estimated at $12.40 and the team has $3.00 left this month: an operator can raise the monthly limit.' },
    402, 'application/problem+json'));
    await fill();
    const max = screen.getByLabelText('Max spend');
    await userEvent.type(max, '0');
    await userEvent.click(screen.getByRole('button', { name: 'Launch job' }));
    expect(await screen.findByText('must be an amount more than 0')).toHaveClass('field-error');
    expect(max).toHaveAttribute('aria-invalid', 'true');
    expect(posts()).toHaveLength(0);

    await userEvent.clear(max);
    await userEvent.type(max, '20');
    await userEvent.click(screen.getByRole('button', { name: 'Launch job' }));
    expect(await screen.findByRole('alert')).toHaveTextContent(
      'The job was not created: The job is estimated at $12.40 and the team has $3.00 left this month: an operator can raise the monthly limit. (budget_exceeded)');
    expect(posts()[0].budget).toEqual({ max_spend: 20 });
  });

  it('reads the max spend', () => {
    expect(budgetBody('')).toBeNull();
    expect(budgetBody(' 2.5 ')).toEqual({ max_spend: 2.5 });
    for (const bad of ['0', '-1', 'x', 'NaN']) expect(() => budgetBody(bad)).toThrow('The job is invalid.');
  });
});
