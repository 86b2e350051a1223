import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { MemoryRouter } from 'react-router-dom';
import { AuthProvider } from '../auth';
import { App } from '../App';
import { workersSummary } from './Workers';
import { storeKey, type Worker } from '../api';
import { list, mockFetch, problem } from '../test-fetch';

// The admin's view of the training nodes: who sees it, and what a row shows.

afterEach(() => vi.unstubAllGlobals());

function app(path: string) {
  return render(
    <AuthProvider>
      <MemoryRouter initialEntries={[path]}>
        <App />
      </MemoryRouter>
    </AuthProvider>,
  );
}

const worker = (id: string, name: string, extra: Partial<Worker> = {}): Worker => ({
  id, object: 'worker', name, role: 'worker', state: 'active',
  labels: { device: 'cuda', gpu_model: 'NVIDIA H100 80GB HBM3', gpu_memory_gb: 79.6, ram_gb: 125.7, pool: 'gpu' },
  capacity: 2, running_jobs: ['job_abc', 'job_def'], started_at: '2026-12-06T10:00:00Z', heartbeat_at: '2026-12-06T10:05:01Z',
  heartbeat_age_seconds: 1.3, ...extra,
});
const GPU = worker('node_gpu', 'gpu-box-1');
const CPU = worker('node_cpu', 'cpu-box', {
  role: 'all', state: 'lost', capacity: 1, running_jobs: [], heartbeat_age_seconds: 125,
  labels: { device: 'cpu', gpu_model: null, gpu_memory_gb: null, ram_gb: 15.5, pool: 'default' },
});

const nav = () => within(screen.getByRole('navigation', { name: 'Main' }));

describe('Workers (admin)', () => {
  it('shows the admin a Workers entry that opens the page, asked for with the team the admin acts for', async () => {
    storeKey('admin-secret', 'team_2');
    const calls = mockFetch({ 'GET /v1/jobs': () => list([]), 'GET /v1/models': () => list([]), 'GET /v1/workers': () => list([GPU]) });
    app('/jobs');
    await userEvent.click(nav().getByRole('link', { name: 'Workers' }));
    expect(await screen.findByRole('heading', { name: 'Workers' })).toBeInTheDocument();
    expect(await screen.findByText('gpu-box-1')).toBeInTheDocument();
    const asked = calls.filter((c) => c.url === '/v1/workers');
    expect(asked).toHaveLength(1);
    expect(new Headers(asked[0].init.headers).get('Authorization')).toBe('Bearer admin-secret');
    expect(new Headers(asked[0].init.headers).get('X-Tropism-Team')).toBe('team_2');
  });

  it('lists each worker with its role, state, labels, load and heartbeat; a lost one in the warning colour', async () => {
    storeKey('admin-secret', 'team_1');
    mockFetch({ 'GET /v1/workers': () => list([GPU, CPU]) });
    app('/workers');
    const table = await screen.findByRole('table', { name: 'Workers' });
    const [, gpu, cpu] = within(table).getAllByRole('row');
    const cells = (row: HTMLElement) => within(row).getAllByRole('cell').map((c) => c.textContent);

    expect(cells(gpu)).toEqual(['gpu-box-1node_gpu', 'worker', 'active', 'cudaNVIDIA H100 80GB HBM3 · 79.6 GB', '125.7 GB', 'gpu',
      '2/2job_abcjob_def', '1s ago']);
    expect(within(gpu).getByText('gpu-box-1').closest('td')).toHaveAttribute('title', 'node_gpu');
    expect(within(gpu).getByRole('link', { name: 'job_abc' })).toHaveAttribute('href', '/jobs/job_abc');
    expect(within(gpu).getByRole('link', { name: 'job_def' })).toHaveAttribute('href', '/jobs/job_def');
    expect(within(gpu).getByText('active')).toHaveClass('badge', 'status-active');

    // a CPU node has no GPU line; role all is a single process that also trains
    expect(cells(cpu)).toEqual(['cpu-boxnode_cpu', 'all', 'lost', 'cpu', '15.5 GB', 'default', '0/1', '2m ago']);
    expect(within(cpu).getByText('lost')).toHaveClass('badge', 'status-lost');
    expect(within(cpu).queryAllByRole('link')).toHaveLength(0);
    // 125 s: the server's measure, not this tab's clock against heartbeat_at
    expect(within(cpu).getByText('2m ago')).toHaveAttribute('title', '2026-12-06T10:05:01Z');
    expect(screen.getByText('2 workers: 1 active, 1 lost · 2/2 job slots busy on the active ones')).toBeInTheDocument();
  });

  it('says so when no worker has announced itself', async () => {
    storeKey('admin-secret', 'team_1');
    mockFetch({ 'GET /v1/workers': () => list([]) });
    app('/workers');
    expect(await screen.findByText(/No worker has announced itself yet/)).toBeInTheDocument();
    expect(screen.queryByRole('table')).toBeNull();
  });

  it('refreshes on an interval while auto-refresh is on', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    try {
      storeKey('admin-secret', 'team_1');
      let beat = 1;
      const calls = mockFetch({ 'GET /v1/workers': () => list([{ ...GPU, heartbeat_age_seconds: beat++ * 10 }]) });
      app('/workers');
      expect(await screen.findByText('10s ago')).toBeInTheDocument();
      await vi.advanceTimersByTimeAsync(3000);
      expect(await screen.findByText('20s ago')).toBeInTheDocument();
      expect(calls.filter((c) => c.url === '/v1/workers')).toHaveLength(2);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('Workers (team key)', () => {
  it('has no Workers entry nor page, and never asks for the workers', async () => {
    storeKey('tro_team');
    const calls = mockFetch({ 'GET /v1/jobs': () => list([]), 'GET /v1/models': () => list([]), 'GET /v1/workers': () => problem(403, 'forbidden', 'This endpoint needs the admin key.') });
    app('/jobs');
    expect(await screen.findByText(/No jobs yet/)).toBeInTheDocument();
    expect(nav().getByRole('link', { name: 'Jobs' })).toBeInTheDocument();
    expect(nav().queryByRole('link', { name: 'Workers' })).toBeNull();
    expect(screen.queryByText(/admin ·/)).toBeNull();
    cleanup();
    app('/workers');
    expect(await screen.findByText(/No such page/)).toBeInTheDocument();
    expect(calls.some((c) => c.url.startsWith('/v1/workers'))).toBe(false);
  });

  it('shows the API\'s refusal should the page be reached with a key that is not the admin\'s', async () => {
    // a stale tab: the team stored, but the key no longer the admin's
    storeKey('tro_team', 'team_1');
    mockFetch({ 'GET /v1/workers': () => problem(403, 'forbidden', 'This endpoint needs the admin key.') });
    app('/workers');
    expect(await screen.findByRole('alert')).toHaveTextContent('This endpoint needs the admin key. (forbidden)');
  });
});

describe('workersSummary', () => {
  it('counts states and the busy slots of active workers only', () => {
    expect(workersSummary([GPU, CPU, worker('node_s', 's', { state: 'stopped', running_jobs: [] })]))
      .toBe('3 workers: 1 active, 1 lost, 1 stopped · 2/2 job slots busy on the active ones');
    expect(workersSummary([CPU])).toBe('1 worker: 1 lost · 0/0 job slots busy on the active ones');
  });
});
