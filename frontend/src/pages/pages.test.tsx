import { afterEach, describe, expect, it, vi } from 'vitest';
import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { MemoryRouter, Route, Routes } from 'react-router-dom';
import type { ReactNode } from 'react';
import { AuthProvider } from '../auth';
import { App } from '../App';
import { LaunchJob } from './LaunchJob';
import { Datasets } from './Datasets';
import { lineage } from './Models';
import { storeKey, type Model } from '../api';
import { json, list, mockFetch, problem } from '../test-fetch';

afterEach(() => vi.unstubAllGlobals());

function at(path: string, element: ReactNode, route = '*') {
  return render(
    <AuthProvider>
      <MemoryRouter initialEntries={[path]}>
        <Routes>
          <Route path={route} element={element} />
        </Routes>
      </MemoryRouter>
    </AuthProvider>,
  );
}

const METHODS = list([
  {
    type: 'grpo', dataset_purpose: 'prompts', uses_reward_spec: true, required_family: 'language-model', produces: 'language-model',
    hyperparameters: [
      { key: 'num_generations', type: 'integer', default: 8, values: null, description: 'G, completions per prompt.' },
      { key: 'beta', type: 'number', default: 0, values: null, description: 'β, weight of the KL penalty.' },
      { key: 'scale_rewards', type: 'enum', default: 'group', values: ['group', 'batch', 'none'], description: 'Advantage scaling.' },
    ],
  },
]);
const MODEL = { id: 'model_a', name: 'base', family: 'language-model', status: 'ready', parent: null, job: null, checkpoint: null, created_at: '2026-01-01T00:00:00Z' };

/** GET /v1/me of a team key, and of the admin key acting for a team (or none). */
const TEAM_KEY = { team_id: 'team_1', key_id: 'key_1', admin: false, scopes: ['jobs:read'], expires_at: null };
const adminFor = (team: string | null) => ({ team_id: team, key_id: 'admin', admin: true, scopes: [], expires_at: null });

describe('Sign-in', () => {
  it('keeps the key in session storage and signs out', async () => {
    mockFetch({ 'GET /v1/me': () => json(TEAM_KEY), 'GET /v1/jobs': () => list([]), 'GET /v1/models': () => list([]) });
    render(
      <AuthProvider>
        <MemoryRouter initialEntries={['/jobs']}>
          <App />
        </MemoryRouter>
      </AuthProvider>,
    );
    await userEvent.type(screen.getByLabelText('API key'), 'tro_secret');
    await userEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(await screen.findByRole('heading', { name: 'Jobs' })).toBeInTheDocument();
    expect(sessionStorage.getItem('tropism.apiKey')).toBe('tro_secret');
    expect(await screen.findByText(/No jobs yet/)).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Sign out' }));
    expect(sessionStorage.getItem('tropism.apiKey')).toBeNull();
    expect(screen.getByLabelText('API key')).toBeInTheDocument();
  });

  it('signs the admin key in for the team it chooses, and sends that team with every request', async () => {
    const calls = mockFetch({
      'GET /v1/me': (_url, init) => json(adminFor(new Headers(init.headers).get('X-Tropism-Team'))),
      'GET /v1/jobs': () => list([]),
      'GET /v1/teams': () => list([{ id: 'team_1', name: 'research', created_at: '' }, { id: 'team_2', name: 'product', created_at: '' }]),
      'GET /v1/models': () => list([]),
    });
    at('/jobs', <App />);
    await userEvent.type(screen.getByLabelText('API key'), 'admin-secret');
    await userEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    const team = await screen.findByLabelText('Team');
    expect(screen.getByRole('button', { name: 'Sign in' })).toBeDisabled();
    expect(sessionStorage.getItem('tropism.apiKey')).toBeNull();
    await userEvent.selectOptions(team, 'team_2');
    await userEvent.click(screen.getByRole('button', { name: 'Sign in' }));

    expect(await screen.findByText(/No jobs yet/)).toBeInTheDocument();
    expect(sessionStorage.getItem('tropism.team')).toBe('team_2');
    expect(screen.getByText('team_2').closest('.who')).toHaveTextContent('admin · team_2');
    // the pages' own requests, all made once signed in
    const models = calls.filter((c) => c.url.startsWith('/v1/models'));
    expect(models.length).toBeGreaterThan(0);
    expect(models.map((c) => new Headers(c.init.headers).get('X-Tropism-Team'))).toEqual(models.map(() => 'team_2'));

    // signing out forgets the team with the key
    await userEvent.click(screen.getByRole('button', { name: 'Sign out' }));
    expect(sessionStorage.getItem('tropism.team')).toBeNull();
    expect(screen.getByLabelText('API key')).toHaveValue('');
  });

  it('tells the admin to create a team first when there is none', async () => {
    mockFetch({ 'GET /v1/me': () => json(adminFor(null)), 'GET /v1/teams': () => list([]) });
    at('/signin', <App />);
    await userEvent.type(screen.getByLabelText('API key'), 'admin-secret');
    await userEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(await screen.findByText(/there is no team yet/)).toBeInTheDocument();
    expect(screen.queryByLabelText('Team')).toBeNull();
    expect(screen.getByRole('button', { name: 'Sign in' })).toBeDisabled();
  });

  it('shows why a key was refused', async () => {
    mockFetch({ 'GET /v1/me': () => problem(401, 'unauthorized', 'The API key is not valid.') });
    at('/signin', <App />);
    await userEvent.type(screen.getByLabelText('API key'), 'nope');
    await userEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('The API key is not valid.');
  });
});

describe('Launch job', () => {
  it('shows each hyperparameter with its default and meaning, and puts validation errors at their field', async () => {
    storeKey('tro_k');
    const calls = mockFetch({
      'GET /v1/methods': () => METHODS,
      'GET /v1/models': () => list([MODEL]),
      'GET /v1/datasets': () => list([{ id: 'ds_p', name: 'prompts', purpose: 'prompts', lines: 2, fields: ['prompt'], created_at: '' }]),
      'GET /v1/reward-specs': () => list([{ id: 'rs_1', name: 'exact', grader: {}, item_fields: [], created_at: '' }]),
      'POST /v1/jobs': () =>
        problem(422, 'validation_failed', 'The job is invalid.', [
          { pointer: '/method/grpo/num_generations', detail: 'GRPO needs at least 2 generations per prompt' },
          { pointer: '/metadata/x', detail: 'somewhere else' },
        ]),
    });
    at('/jobs/new', <LaunchJob />);
    const g = await screen.findByLabelText('num_generations');
    expect(screen.getByText('G, completions per prompt.')).toBeInTheDocument();
    expect(g).toHaveAttribute('placeholder', '8');
    expect(screen.getByLabelText('scale_rewards')).toHaveDisplayValue('default (group)');

    await userEvent.selectOptions(screen.getByLabelText('Model'), 'model_a');
    await userEvent.selectOptions(screen.getByLabelText('Dataset'), 'ds_p');
    await userEvent.selectOptions(screen.getByLabelText('Reward spec'), 'rs_1');
    await userEvent.type(g, '1');
    await userEvent.click(screen.getByRole('button', { name: 'Launch job' }));

    expect(await screen.findByText('GRPO needs at least 2 generations per prompt')).toBeInTheDocument();
    expect(g).toHaveAttribute('aria-invalid', 'true');
    expect(g.getAttribute('aria-describedby')).toContain('err');
    // the pointer no field shows is listed in the summary
    expect(screen.getByText('/metadata/x')).toBeInTheDocument();
    const sent = JSON.parse(String(calls.find((c) => c.method === 'POST')!.init.body));
    expect(sent).toEqual({ model: 'model_a', dataset: 'ds_p', reward_spec: 'rs_1', method: { type: 'grpo', grpo: { num_generations: 1 } } });
  });
});

describe('Datasets', () => {
  it('lists every line error of a rejected upload', async () => {
    storeKey('tro_k');
    mockFetch({
      'GET /v1/datasets': () => list([]),
      'POST /v1/datasets': () =>
        problem(422, 'invalid_dataset', 'The file has invalid lines', [
          { pointer: '/file/line/3', detail: 'line 3 is not valid JSON' },
          { pointer: '/file/line/1', detail: 'line 1 has no "prompt"' },
        ]),
    });
    at('/datasets', <Datasets />);
    expect(await screen.findByText(/No datasets yet/)).toBeInTheDocument();
    const file = new File(['{"prompt":"a"}\n{bad\n'], 'bad.jsonl', { type: 'application/x-ndjson' });
    await userEvent.upload(screen.getByLabelText('JSONL file'), file);
    await userEvent.click(screen.getByRole('button', { name: 'Upload' }));
    const alert = await screen.findByRole('alert');
    const items = within(alert).getAllByRole('listitem').map((li) => li.textContent);
    expect(items).toEqual(['Line 1: line 1 has no "prompt"', 'Line 3: line 3 is not valid JSON']);
  });
});

describe('Models lineage', () => {
  it('puts aligned models under their base and checkpoints under the aligned model', () => {
    const m = (id: string, name: string, parent: string | null, job: string | null) => ({ ...MODEL, id, name, parent, job }) as Model;
    const roots = lineage([m('b', 'base', null, 'job_p'), m('a', 'base-grpo', 'b', 'job_g'), m('c1', 'base-grpo@2', 'b', 'job_g')]);
    expect(roots.map((r) => r.model.id)).toEqual(['b']);
    expect(roots[0].children.map((c) => c.model.id)).toEqual(['a']);
    expect(roots[0].children[0].children.map((c) => c.model.id)).toEqual(['c1']);
  });
});

describe('Jobs', () => {
  it('shows an error rather than an empty list when the API fails', async () => {
    storeKey('tro_k');
    mockFetch({ 'GET /v1/jobs': () => problem(503, 'database_unavailable', 'The database is unavailable.'), 'GET /v1/models': () => list([]) });
    const { Jobs } = await import('./Jobs');
    at('/jobs', <Jobs />);
    expect(await screen.findByRole('alert')).toHaveTextContent('The database is unavailable.');
    expect(screen.queryByText(/No jobs yet/)).toBeNull();
  });

  it('lists jobs newest first with status, method and progress', async () => {
    storeKey('tro_k');
    const job = (id: string, status: string) => ({ id, status, model: 'model_a', method: { type: 'grpo' }, current_step: 3, total_steps: 10, created_at: new Date().toISOString(), suffix: null });
    mockFetch({
      'GET /v1/jobs?': () => list([job('job_old', 'succeeded'), job('job_new', 'running')]),
      'GET /v1/jobs/': () => json({ job: 'x', metrics: { 'train/reward/mean': [{ step: 1, value: 0.1 }] } }),
      'GET /v1/models': () => list([MODEL]),
    });
    const { Jobs } = await import('./Jobs');
    at('/jobs', <Jobs />);
    const rows = await screen.findAllByRole('row');
    expect(rows[1]).toHaveTextContent('job_new');
    expect(rows[1]).toHaveTextContent('running');
    expect(rows[1]).toHaveTextContent('3/10');
    expect(rows[2]).toHaveTextContent('job_old');
  });
});
