import { afterEach, describe, expect, it, vi } from 'vitest';
import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { MemoryRouter, Route, Routes } from 'react-router-dom';
import type { ReactNode } from 'react';
import { AuthProvider } from '../auth';
import { Jobs, resourcesText } from './Jobs';
import { JobDetail } from './JobDetail';
import { NO_RESOURCES, resourcesBody } from './LaunchJob';
import { ApiError, storeKey, type Job } from '../api';
import { json, list, mockFetch, problem } from '../test-fetch';
import { LAUNCH_CATALOG, launchAt } from '../test-app';

// Where a job runs: its worker, why a queued job waits, what it asked for (issue 14).

afterEach(() => vi.unstubAllGlobals());

function at(path: string, route: string, element: ReactNode, next?: ReactNode) {
  return render(
    <AuthProvider>
      <MemoryRouter initialEntries={[path]}>
        <Routes>
          <Route path={route} element={element} />
          {next}
        </Routes>
      </MemoryRouter>
    </AuthProvider>,
  );
}

const WAIT = 'No live worker offers device=cuda (live workers: 2, devices: cpu).';
const job = (id: string, status: Job['status'], extra: Partial<Job> = {}) => ({
  id, status, model: 'model_a', dataset: 'ds_p', eval_dataset: null, reward_spec: null, eval_reward_spec: null,
  method: { type: 'grpo' }, seed: 1, suffix: null, error: null, result_model: null, current_step: 3, total_steps: 10,
  created_at: new Date().toISOString(), started_at: null, finished_at: null,
  resources: null, worker: null, wait_reason: null, attempts: 0, ...extra,
}) as Job;
const QUEUED = job('job_q', 'queued', { resources: { device: 'cuda', pool: null, min_gpu_memory_gb: 24 }, wait_reason: WAIT });
const RUNNING = job('job_r', 'running', { worker: { id: 'node_8f2k', name: 'gpu-box-1' }, attempts: 1 });
const DONE = job('job_d', 'succeeded', { worker: { id: 'node_8f2k', name: 'gpu-box-1' } });

describe('resourcesText and resourcesBody', () => {
  it('writes a request as one line, and nothing for none', () => {
    expect(resourcesText({ device: 'cuda', pool: 'gpu', min_gpu_memory_gb: 24 })).toBe('device=cuda · pool=gpu · ≥ 24 GB GPU memory');
    expect(resourcesText({ device: null, pool: null, min_gpu_memory_gb: 0 })).toBe('≥ 0 GB GPU memory');
    expect(resourcesText({ device: null, pool: null })).toBeNull();
    expect(resourcesText(null)).toBeNull();
  });

  it('sends only the fields set, and refuses a GPU memory that is not a number of GB ≥ 0 at its pointer', () => {
    expect(resourcesBody(NO_RESOURCES)).toBeNull();
    expect(resourcesBody({ device: '', pool: '  ', min_gpu_memory_gb: ' ' })).toBeNull();
    expect(resourcesBody({ device: 'cuda', pool: ' gpu ', min_gpu_memory_gb: '24.5' })).toEqual({ device: 'cuda', pool: 'gpu', min_gpu_memory_gb: 24.5 });
    expect(resourcesBody({ device: '', pool: '', min_gpu_memory_gb: '0' })).toEqual({ min_gpu_memory_gb: 0 });
    for (const bad of ['-1', 'lots', 'Infinity']) {
      const err = (() => {
        try {
          return resourcesBody({ ...NO_RESOURCES, min_gpu_memory_gb: bad });
        } catch (e) {
          return e;
        }
      })() as ApiError;
      expect(err).toBeInstanceOf(ApiError);
      expect(Object.keys(err.byPointer())).toEqual(['/resources/min_gpu_memory_gb']);
    }
  });
});

describe('Jobs list: where each job runs', () => {
  it('shows a running job\'s worker (id in the tooltip), a queued job\'s wait reason, and a lost worker', async () => {
    storeKey('tro_k');
    mockFetch({
      'GET /v1/jobs?': () => list([DONE, QUEUED, RUNNING]),
      'GET /v1/jobs/': () => json({ metrics: {} }),
      'GET /v1/models': () => list([]),
    });
    at('/jobs', '/jobs', <Jobs />);
    const rows = await screen.findAllByRole('row');
    const headers = within(rows[0]).getAllByRole('columnheader').map((h) => h.textContent);
    const workerCell = (row: HTMLElement) => within(row).getAllByRole('cell')[headers.indexOf('Worker')];

    expect(rows[1]).toHaveTextContent('job_r');
    const running = workerCell(rows[1]);
    expect(within(running).getByText('gpu-box-1')).toHaveAttribute('title', 'node_8f2k');
    expect(within(running).getByText('worker lost 1×')).toHaveClass('badge', 'warn');

    expect(rows[2]).toHaveTextContent('job_q');
    expect(workerCell(rows[2])).toHaveTextContent(`Waiting: ${WAIT}`);
    expect(within(workerCell(rows[2])).getByText(`Waiting: ${WAIT}`)).toHaveClass('waiting');

    // where a finished job last ran; no lost-worker badge at 0 attempts
    expect(workerCell(rows[3])).toHaveTextContent(/^gpu-box-1$/);
  });
});

describe('Job detail: worker and wait reason', () => {
  function detail(j: Job) {
    storeKey('tro_k');
    const sse = () => new Response('', { headers: { 'Content-Type': 'text/event-stream' } });
    mockFetch({
      [`GET /v1/jobs/${j.id}`]: () => json(j),
      [`GET /v1/jobs/${j.id}/metrics`]: sse,
      [`GET /v1/jobs/${j.id}/events`]: sse,
      [`GET /v1/jobs/${j.id}/checkpoints`]: () => list([]),
      [`GET /v1/jobs/${j.id}/samples`]: () => problem(404, 'not_found', 'no samples'),
      'GET /v1/models/': () => json({ id: 'model_a', family: 'language-model' }),
    });
    at(`/jobs/${j.id}`, '/jobs/:id', <JobDetail />);
  }
  const fact = (term: string) => screen.getByText(term, { selector: 'dt' }).nextElementSibling as HTMLElement;

  it('puts a queued job\'s wait reason first, with what it asked for', async () => {
    detail(QUEUED);
    const waiting = await screen.findByText(WAIT, { exact: false, selector: 'p.waiting' });
    expect(waiting).toHaveTextContent(`Waiting: ${WAIT}`);
    expect(fact('Resources')).toHaveTextContent('device=cuda · ≥ 24 GB GPU memory');
    expect(screen.queryByText('Worker', { selector: 'dt' })).toBeNull();
  });

  it('shows a running job\'s worker with its id, and how often its worker was lost', async () => {
    detail(RUNNING);
    await screen.findByText('Worker', { selector: 'dt' });
    const worker = fact('Worker');
    expect(within(worker).getByText('gpu-box-1')).toHaveAttribute('title', 'node_8f2k');
    expect(worker).toHaveTextContent('gpu-box-1 node_8f2k worker lost 1×');
    expect(screen.queryByText(/Waiting:/)).toBeNull();
    expect(screen.queryByText('Resources', { selector: 'dt' })).toBeNull();
  });
});

describe('Launch job: resources', () => {
  function launch(post: () => Response) {
    const calls = mockFetch({ ...LAUNCH_CATALOG, 'POST /v1/jobs': post });
    launchAt();
    const posts = () => calls.filter((c) => c.method === 'POST').map((c) => JSON.parse(String(c.init.body)));
    return posts;
  }
  async function fill() {
    await userEvent.selectOptions(await screen.findByLabelText('Dataset'), 'ds_p');
    await userEvent.selectOptions(screen.getByLabelText('Reward spec'), 'rs_1');
  }

  it('sends no resources when none is set', async () => {
    const posts = launch(() => json(job('job_1', 'queued'), 201));
    await fill();
    expect(screen.getByLabelText('Device')).toHaveDisplayValue('any');
    await userEvent.click(screen.getByRole('button', { name: 'Launch job' }));
    expect(await screen.findByText('job page')).toBeInTheDocument();
    expect(posts()[0]).not.toHaveProperty('resources');
  });

  it('refuses a negative GPU memory at its field without sending, then shows the server\'s /resources/device error at Device', async () => {
    let answer = 0;
    const posts = launch(() => (++answer === 1
      ? problem(422, 'validation_failed', 'The job is invalid.', [{ pointer: '/resources/device', detail: 'must be cpu or cuda' }])
      : json(job('job_1', 'queued'), 201)));
    await fill();
    const device = screen.getByLabelText('Device');
    const mem = screen.getByLabelText('Min GPU memory (GB)');
    await userEvent.selectOptions(device, 'cuda');
    await userEvent.type(screen.getByLabelText('Pool'), ' gpu ');
    await userEvent.type(mem, '-2');
    await userEvent.click(screen.getByRole('button', { name: 'Launch job' }));
    expect(await screen.findByText('must be a number of GB, 0 or more')).toHaveClass('field-error');
    expect(mem).toHaveAttribute('aria-invalid', 'true');
    expect(posts()).toHaveLength(0);

    await userEvent.clear(mem);
    await userEvent.type(mem, '24');
    await userEvent.click(screen.getByRole('button', { name: 'Launch job' }));
    expect(await screen.findByText('must be cpu or cuda')).toHaveClass('field-error');
    expect(device).toHaveAttribute('aria-invalid', 'true');
    expect(mem).toHaveAttribute('aria-invalid', 'false');
    // placed at its field: the summary does not repeat it
    const summary = screen.getByText('The job was not created:').closest('.error-box') as HTMLElement;
    expect(within(summary).queryByText('/resources/device')).toBeNull();
    expect(posts()[0].resources).toEqual({ device: 'cuda', pool: 'gpu', min_gpu_memory_gb: 24 });

    await userEvent.click(screen.getByRole('button', { name: 'Launch job' }));
    expect(await screen.findByText('job page')).toBeInTheDocument();
  });
});
