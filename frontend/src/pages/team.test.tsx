import { afterEach, describe, expect, it, vi } from 'vitest';
import { render, screen, waitFor, within } from '@testing-library/react';
import { MemoryRouter } from 'react-router-dom';
import { AuthProvider } from '../auth';
import { App } from '../App';
import userEvent from '@testing-library/user-event';
import { appAt } from '../test-app';
import { grants, money, storeKey, type ApiKey, type Me, type TeamBudget, type TeamQuotas, type Usage } from '../api';
import { json, list, mockFetch, problem } from '../test-fetch';
import { amount, count, fraction, gib, keyBody, monthRange, spendByJob, when } from './Team';
import { deviceTime, percent } from '../components/Spend';

// The team page of issue 17: keys (create with scopes, revoke), budget, quotas and spend by job, each part asked for
// only when the key's scopes allow it.

afterEach(() => vi.unstubAllGlobals());

const ALL: string[] = ['datasets:write', 'reward-specs:write', 'models:write', 'jobs:write', 'inference', 'evaluations:write',
  'webhooks:write', 'usage:read', 'team:admin'];
const ME: Me = { team_id: 'team_1', key_id: 'key_me', admin: false, scopes: ALL, expires_at: null };
const key = (id: string, name: string, extra: Partial<ApiKey> = {}): ApiKey => ({
  id, name, prefix: `tro_${id.slice(4, 8)}`, scopes: ['jobs:read'], created_at: '2026-12-01T10:00:00Z', last_used_at: null,
  expires_at: null, revoked_at: null, created_by: 'admin', ...extra,
});
const KEYS = [
  key('key_me', 'ops', { scopes: ALL, last_used_at: '2026-12-06T10:00:00Z' }),
  key('key_ci', 'ci', { scopes: ['evaluations:write'], expires_at: '2099-03-01T00:00:00Z', created_by: 'key_me' }),
  key('key_old', 'laptop', { revoked_at: '2026-12-03T09:00:00Z' }),
  key('key_exp', 'demo', { expires_at: '2026-01-01T00:00:00Z' }),
];
const BUDGET: TeamBudget = { month: '2026-12', currency: 'USD', monthly_limit: 50, alert_threshold: 0.8, spend_this_month: 42.5,
  remaining: 7.5, alerted: true };
const QUOTAS: TeamQuotas = { max_concurrent_jobs: 3, max_stored_bytes: 10 * 1024 ** 3, used: { concurrent_jobs: 2, stored_bytes: 512 * 1024 ** 2 } };
const USAGE: Usage = {
  object: 'list',
  data: [],
  training: [
    { date: '2026-12-01', model: 'model_a', job: 'job_small', device_seconds: 30, spend: 0.25 },
    { date: '2026-12-01', model: 'model_a', job: 'job_big', device_seconds: 3000, spend: 20 },
    { date: '2026-12-02', model: 'model_a', job: 'job_big', device_seconds: 1000, spend: 7.5 },
  ],
  totals: { serving_spend: 1.25, training_spend: 27.75, currency: 'USD' },
};

function routes(me: Me, extra: Record<string, Parameters<typeof mockFetch>[0][string]> = {}) {
  return mockFetch({
    'GET /v1/me': () => json(me),
    'GET /v1/teams/team_1/api-keys': () => list(KEYS),
    'GET /v1/teams/team_1/budget': () => json(BUDGET),
    'GET /v1/teams/team_1/quotas': () => json(QUOTAS),
    'GET /v1/usage': () => json(USAGE),
    'GET /v1/jobs': () => list([]),
    'GET /v1/models': () => list([]),
    ...extra,
  });
}

const cells = (row: HTMLElement) => within(row).getAllByRole('cell').map((c) => c.textContent);
const asked = (calls: ReturnType<typeof mockFetch>, prefix: string) => calls.filter((c) => c.method === 'GET' && c.url.startsWith(prefix));

describe('Team page', () => {
  it('is in the navigation and shows the budget with its alert marker, the quotas, and spend by job linking to each job', async () => {
    const calls = routes(ME);
    appAt('/jobs');
    await userEvent.click(within(screen.getByRole('navigation', { name: 'Main' })).getByRole('link', { name: 'Team' }));
    expect(await screen.findByRole('heading', { name: 'Team team_1' })).toBeInTheDocument();

    const budget = await screen.findByRole('progressbar', { name: 'Spend this month' });
    expect(budget).toHaveAttribute('aria-valuetext', '$42.50 of $50.00 (85%)');
    expect(budget).toHaveClass('warn'); // past the 80% alert, short of the limit
    expect(budget.querySelector('.threshold')).toHaveAttribute('title', 'Alert at 80%');
    expect((budget.querySelector('.threshold') as HTMLElement).style.left).toBe('80%');
    expect((budget.querySelector('.fill') as HTMLElement).style.width).toBe('85%');
    const card = screen.getByLabelText('Budget');
    expect(card).toHaveTextContent('Budget · 2026-12');
    expect(card).toHaveTextContent('$42.50 of $50.00 spent this month · $7.50 left');
    expect(card).toHaveTextContent('Alert at 80% ($40.00) · alert given');

    const quotas = screen.getByLabelText('Quotas');
    expect(await within(quotas).findByText(/Concurrent jobs/)).toHaveTextContent('Concurrent jobs: 2 of 3');
    expect(within(quotas).getByRole('progressbar', { name: 'Stored' })).toHaveAttribute('aria-valuetext', '512.0 MiB of 10.00 GiB');

    const spend = await screen.findByRole('table', { name: 'Spend by job' });
    const [, big, small] = within(spend).getAllByRole('row');
    expect(cells(big)).toEqual(['job_big', 'model_a ', '1h 06m', '$27.50']);
    expect(cells(small)).toEqual(['job_small', 'model_a ', '30.0 s', '$0.25']);
    expect(within(big).getByRole('link', { name: 'job_big' })).toHaveAttribute('href', '/jobs/job_big');
    expect(screen.getByText(/^Training/)).toHaveTextContent('Training $27.75 · serving $1.25');
    // this calendar month, UTC
    const { from, to } = monthRange();
    expect(asked(calls, '/v1/usage').map((c) => c.url)).toEqual([`/v1/usage?from=${from}&to=${to}`]);
  });

  it('lists the keys with their prefix, scopes, dates and state, and marks the key in use', async () => {
    routes(ME);
    appAt('/team');
    const table = await screen.findByRole('table', { name: 'API keys' });
    const [head, me, ci, old, exp] = within(table).getAllByRole('row');
    expect(within(head).getAllByRole('columnheader').map((c) => c.textContent))
      .toEqual(['Name', 'Prefix', 'Scopes', 'Created', 'Last used', 'Expires', 'Revoked', '']);
    expect(within(me).getByText('this key')).toBeInTheDocument();
    expect(cells(me)[4]).toMatch(/^\d+[smhd] ago$/);
    expect(within(me).getAllByRole('cell')[4]).toHaveAttribute('title', '2026-12-06T10:00:00Z');
    expect(cells(ci).slice(0, 3)).toEqual(['ci', 'tro_ci', 'evaluations:write']);
    expect(cells(ci)[5]).toBe('2099-03-01');
    expect(cells(ci)[4]).toBe('never');
    expect(within(ci).getByText(/by key_me/)).toBeInTheDocument();
    expect(old).toHaveClass('revoked');
    expect(cells(old)[6]).toBe('2026-12-03');
    // a revoked key cannot be revoked again; the others can
    expect(within(old).queryByRole('button')).toBeNull();
    expect(within(ci).getByRole('button', { name: 'Revoke ci' })).toBeInTheDocument();
    // past its expiry by this tab's clock: marked, and still revocable
    expect(exp).toHaveClass('expired');
    expect(cells(exp)[5]).toBe('2026-01-01 expired');
    expect(within(exp).getByRole('button', { name: 'Revoke demo' })).toBeInTheDocument();
    // the secret is never asked for nor shown
    expect(screen.queryByLabelText('Secret')).toBeNull();
  });

  it('creates a key with the scopes ticked and an expiry, shows its secret once with a copy button, and lists it', async () => {
    const writeText = vi.fn(async () => {});
    vi.stubGlobal('navigator', { ...navigator, clipboard: { writeText } });
    let listed = KEYS;
    const calls = routes(ME, {
      'GET /v1/teams/team_1/api-keys': () => list(listed),
      'POST /v1/teams/team_1/api-keys': () => {
        listed = [...KEYS, key('key_new', 'ci-evals', { scopes: ['evaluations:write', 'usage:read'] })];
        return json({ id: 'key_new', name: 'ci-evals', key: 'tro_new_s3cr3t', prefix: 'tro_new_', scopes: ['evaluations:write', 'usage:read'],
          created_at: '2026-12-06T10:00:00Z', expires_at: '2027-01-05T10:00:00Z' }, 201);
      },
    });
    appAt('/team');
    await screen.findByRole('table', { name: 'API keys' });
    await userEvent.click(screen.getByText('Create a key'));
    const form = screen.getByRole('form', { name: 'Create a key' });
    await userEvent.type(within(form).getByLabelText('Name'), ' ci-evals ');
    await userEvent.click(within(form).getByRole('button', { name: 'none' }));
    await userEvent.click(within(form).getByRole('checkbox', { name: 'usage:read' }));
    await userEvent.click(within(form).getByRole('checkbox', { name: 'evaluations:write' }));
    await userEvent.type(within(form).getByLabelText('Expires after (days)'), '30');
    await userEvent.click(within(form).getByRole('button', { name: 'Create key' }));

    const secret = await screen.findByLabelText('Secret');
    expect(secret).toHaveTextContent('tro_new_s3cr3t');
    const posts = calls.filter((c) => c.method === 'POST');
    // in the server's order, not the order they were ticked in
    expect(JSON.parse(String(posts[0].init.body))).toEqual({ name: 'ci-evals', scopes: ['evaluations:write', 'usage:read'], expires_in_days: 30 });
    await userEvent.click(screen.getByRole('button', { name: 'Copy' }));
    expect(writeText).toHaveBeenCalledWith('tro_new_s3cr3t');
    expect(await screen.findByText('Copied.')).toBeInTheDocument();
    // the list is asked for again, and shows it
    const table = screen.getByRole('table', { name: 'API keys' });
    expect(await within(table).findByText('ci-evals')).toBeInTheDocument();
    expect(asked(calls, '/v1/teams/team_1/api-keys')).toHaveLength(2);
    // the form is reset to the defaults
    expect(within(form).getByLabelText('Name')).toHaveValue('');
    expect(within(form).getByRole('checkbox', { name: 'team:admin' })).not.toBeChecked();
    expect(within(form).getByRole('checkbox', { name: 'jobs:write' })).toBeChecked();

    await userEvent.click(screen.getByRole('button', { name: 'Done' }));
    expect(screen.queryByLabelText('Secret')).toBeNull();
    expect(screen.queryByText('tro_new_s3cr3t')).toBeNull();
  });

  it('refuses a blank name, no scope and a bad expiry at their fields without sending, then shows a refused scope by name', async () => {
    const calls = routes(ME, {
      'POST /v1/teams/team_1/api-keys': () => problem(400, 'invalid_request', 'The key is invalid.', [{ pointer: '/scopes/1', detail: 'a team key cannot hold it' }]),
    });
    appAt('/team');
    await screen.findByRole('table', { name: 'API keys' });
    await userEvent.click(screen.getByText('Create a key'));
    const form = screen.getByRole('form', { name: 'Create a key' });
    await userEvent.click(within(form).getByRole('button', { name: 'none' }));
    await userEvent.type(within(form).getByLabelText('Expires after (days)'), '0');
    await userEvent.click(within(form).getByRole('button', { name: 'Create key' }));
    expect(await within(form).findByText('must not be blank')).toHaveClass('field-error');
    expect(within(form).getByText('must be a whole number of days, 1 or more')).toHaveClass('field-error');
    expect(within(form).getByText('choose at least one scope')).toHaveClass('field-error');
    expect(within(form).getByLabelText('Name')).toHaveAttribute('aria-invalid', 'true');
    expect(calls.filter((c) => c.method === 'POST')).toHaveLength(0);

    await userEvent.type(within(form).getByLabelText('Name'), 'x');
    await userEvent.clear(within(form).getByLabelText('Expires after (days)'));
    await userEvent.click(within(form).getByRole('checkbox', { name: 'jobs:read' }));
    await userEvent.click(within(form).getByRole('checkbox', { name: 'team:admin' }));
    await userEvent.click(within(form).getByRole('button', { name: 'Create key' }));
    // /scopes/1 is the second scope sent, in the server's order
    expect(await within(form).findByText('team:admin: a team key cannot hold it')).toHaveClass('field-error');
    expect(JSON.parse(String(calls.filter((c) => c.method === 'POST')[0].init.body))).toEqual({ name: 'x', scopes: ['jobs:read', 'team:admin'] });
    expect(screen.queryByLabelText('Secret')).toBeNull();
  });

  it('revokes a key only once confirmed, then shows it revoked', async () => {
    let listed = KEYS;
    const calls = routes(ME, {
      'GET /v1/teams/team_1/api-keys': () => list(listed),
      'DELETE /v1/teams/team_1/api-keys/key_ci': () => {
        listed = KEYS.map((k) => (k.id === 'key_ci' ? { ...k, revoked_at: '2026-12-06T12:00:00Z' } : k));
        return new Response(null, { status: 204 });
      },
    });
    appAt('/team');
    const table = await screen.findByRole('table', { name: 'API keys' });
    const row = () => within(table).getByText('ci').closest('tr') as HTMLElement;
    await userEvent.click(within(row()).getByRole('button', { name: 'Revoke ci' }));
    const confirm = within(row()).getByRole('group', { name: 'Revoke ci?' });
    expect(confirm).toHaveTextContent('Calls with it are refused at once.');
    await userEvent.click(within(confirm).getByRole('button', { name: 'Keep' }));
    expect(calls.filter((c) => c.method === 'DELETE')).toHaveLength(0);

    await userEvent.click(within(row()).getByRole('button', { name: 'Revoke ci' }));
    await userEvent.click(within(row()).getByRole('button', { name: 'Revoke key' }));
    expect(await within(table).findByText('2026-12-06')).toBeInTheDocument();
    expect(calls.filter((c) => c.method === 'DELETE').map((c) => c.url)).toEqual(['/v1/teams/team_1/api-keys/key_ci']);
    expect(row()).toHaveClass('revoked');
    expect(within(row()).queryByRole('button')).toBeNull();
  });

  it('warns before revoking the key in use, and shows a refused revocation in its row', async () => {
    routes(ME, { 'DELETE /v1/teams/team_1/api-keys/key_me': () => problem(404, 'not_found', 'No such key.') });
    appAt('/team');
    const table = await screen.findByRole('table', { name: 'API keys' });
    const row = within(table).getByText('ops').closest('tr') as HTMLElement;
    await userEvent.click(within(row).getByRole('button', { name: 'Revoke ops' }));
    expect(within(row).getByRole('group', { name: 'Revoke ops?' })).toHaveTextContent('You will be signed out.');
    await userEvent.click(within(row).getByRole('button', { name: 'Revoke key' }));
    expect(await within(row).findByRole('alert')).toHaveTextContent('Not revoked: No such key. (not_found)');
  });

  it('asks for nothing its scopes do not allow, and says which scope each part needs', async () => {
    const calls = routes({ ...ME, scopes: ['jobs:write'], expires_at: '2027-01-01T00:00:00Z' });
    appAt('/team');
    expect(await screen.findByRole('heading', { name: 'Team team_1' })).toBeInTheDocument();
    expect(screen.getByText(/Managing the team's keys needs the/)).toHaveTextContent('needs the team:admin scope, which this key does not hold.');
    expect(screen.getByText(/Reading the budget needs the/)).toHaveTextContent('usage:read');
    expect(screen.getByText(/Reading the quotas needs the/)).toBeInTheDocument();
    expect(screen.getByText(/^Reading spend needs the/)).toBeInTheDocument();
    expect(screen.queryByText('Create a key')).toBeNull();
    const facts = screen.getByLabelText('This key');
    expect(facts).toHaveTextContent('key key_me');
    expect(facts).toHaveTextContent('Its scopesjobs:write');
    expect(facts).toHaveTextContent('Expires2027-01-01');
    expect(calls.map((c) => c.url)).toEqual(['/v1/me']);
  });

  it('shows a 403 missing_scope at the part that was refused, naming the scope', async () => {
    routes(ME, { 'GET /v1/teams/team_1/quotas': () => json({ type: 'x', title: 'Forbidden', status: 403, code: 'missing_scope', scope: 'usage:read',
      detail: 'This operation needs the scope usage:read.' }, 403, 'application/problem+json') });
    appAt('/team');
    const quotas = await screen.findByLabelText('Quotas');
    expect(await within(quotas).findByRole('alert')).toHaveTextContent('Not allowed without usage:read: This operation needs the scope usage:read. (missing_scope)');
    // the rest of the page is unaffected
    expect(await screen.findByRole('progressbar', { name: 'Spend this month' })).toBeInTheDocument();
  });

  it('reads a team without a monthly limit, unlimited quotas, and a server without training spend', async () => {
    routes(ME, {
      'GET /v1/teams/team_1/budget': () => json({ ...BUDGET, monthly_limit: null, alert_threshold: null, remaining: null, alerted: false, spend_this_month: 3 }),
      'GET /v1/teams/team_1/quotas': () => json({ max_concurrent_jobs: null, max_stored_bytes: null, used: { concurrent_jobs: 0, stored_bytes: 0 } }),
      'GET /v1/usage': () => json({ object: 'list', data: [] }),
    });
    appAt('/team');
    expect(await screen.findByText(/There is no monthly limit/)).toHaveTextContent('$3.00 spent this month. There is no monthly limit.');
    expect(await screen.findByText(/Concurrent jobs/)).toHaveTextContent('Concurrent jobs: 0 (unlimited)');
    expect(screen.queryAllByRole('progressbar')).toHaveLength(0);
    expect(await screen.findByText('This server does not report training spend.')).toBeInTheDocument();
  });

  it('says when the monthly limit is reached', async () => {
    routes(ME, { 'GET /v1/teams/team_1/budget': () => json({ ...BUDGET, spend_this_month: 51, remaining: 0 }) });
    appAt('/team');
    const bar = await screen.findByRole('progressbar', { name: 'Spend this month' });
    expect(bar).toHaveClass('over');
    expect((bar.querySelector('.fill') as HTMLElement).style.width).toBe('100%');
    expect(screen.getByText(/The monthly limit is reached/)).toBeInTheDocument();
  });

  it('tells the admin key acting for no team to choose one, and asks for nothing else', async () => {
    const calls = routes({ team_id: null, key_id: null, admin: true, scopes: [], expires_at: null });
    appAt('/team', 'admin-secret');
    expect(await screen.findByText(/acting for no team/)).toBeInTheDocument();
    expect(calls.map((c) => c.url)).toEqual(['/v1/me']);
  });

  it('uses the team the admin key acts for when /v1/me names none, with every part', async () => {
    const calls = routes({ team_id: null, key_id: null, admin: true, scopes: [], expires_at: null });
    storeKey('admin-secret', 'team_1');
    render(<AuthProvider><MemoryRouter initialEntries={['/team']}><App /></MemoryRouter></AuthProvider>);
    expect(await screen.findByRole('heading', { name: 'Team team_1' })).toBeInTheDocument();
    expect(screen.getByLabelText('This key')).toHaveTextContent('the admin key (every scope)');
    expect(await screen.findByRole('table', { name: 'API keys' })).toBeInTheDocument();
    expect(await screen.findByRole('progressbar', { name: 'Spend this month' })).toBeInTheDocument();
    const keys = asked(calls, '/v1/teams/team_1/api-keys');
    expect(new Headers(keys[0].init.headers).get('X-Tropism-Team')).toBe('team_1');
  });
});

describe('Team page: the operator\'s limits', () => {
  const ADMIN: Me = { team_id: 'team_1', key_id: null, admin: true, scopes: [], expires_at: null };

  it('lets the admin key set the monthly budget, sending the threshold as a fraction and an empty box as null', async () => {
    let budget = BUDGET;
    const calls = routes(ADMIN, {
      'GET /v1/teams/team_1/budget': () => json(budget),
      'PUT /v1/teams/team_1/budget': (_url, init) => {
        const b = JSON.parse(String(init.body));
        budget = { ...budget, monthly_limit: b.monthly_limit, alert_threshold: b.alert_threshold, remaining: b.monthly_limit - budget.spend_this_month };
        return json(budget);
      },
    });
    storeKey('admin-secret', 'team_1');
    render(<AuthProvider><MemoryRouter initialEntries={['/team']}><App /></MemoryRouter></AuthProvider>);
    const card = await screen.findByLabelText('Budget');
    await userEvent.click(await within(card).findByText('Set the monthly budget'));
    const form = within(card).getByRole('form', { name: 'Set the monthly budget' });
    const limit = within(form).getByLabelText('Monthly limit (USD)');
    const alert = within(form).getByLabelText('Alert at (% of the limit)');
    expect(limit).toHaveValue('50');
    expect(alert).toHaveValue('80');
    await userEvent.clear(alert);
    await userEvent.type(alert, '150');
    await userEvent.click(within(form).getByRole('button', { name: 'Save' }));
    expect(await within(form).findByText('must be a percentage from 1 to 100')).toHaveClass('field-error');
    expect(calls.filter((c) => c.method === 'PUT')).toHaveLength(0);

    await userEvent.clear(limit);
    await userEvent.type(limit, '100');
    await userEvent.clear(alert);
    await userEvent.type(alert, '90');
    await userEvent.click(within(form).getByRole('button', { name: 'Save' }));
    expect(await within(card).findByText(/of \$100\.00 spent this month/)).toHaveTextContent('$42.50 of $100.00 spent this month · $57.50 left');
    expect(JSON.parse(String(calls.find((c) => c.method === 'PUT')!.init.body))).toEqual({ monthly_limit: 100, alert_threshold: 0.9 });

    await userEvent.clear(limit);
    await userEvent.clear(alert);
    await userEvent.click(within(form).getByRole('button', { name: 'Save' }));
    expect(await within(card).findByText(/There is no monthly limit/)).toBeInTheDocument();
    expect(JSON.parse(String(calls.filter((c) => c.method === 'PUT')[1].init.body))).toEqual({ monthly_limit: null, alert_threshold: null });
  });

  it('lets the admin key set the quotas in jobs and GiB, and shows the server\'s refusal at its field', async () => {
    let answer = 0;
    const calls = routes(ADMIN, {
      'PUT /v1/teams/team_1/quotas': () => (++answer === 1
        ? problem(400, 'invalid_request', 'The quotas are invalid.', [{ pointer: '/max_concurrent_jobs', detail: 'must be at most 1000' }])
        : json(QUOTAS)),
    });
    storeKey('admin-secret', 'team_1');
    render(<AuthProvider><MemoryRouter initialEntries={['/team']}><App /></MemoryRouter></AuthProvider>);
    const card = await screen.findByLabelText('Quotas');
    await userEvent.click(await within(card).findByText('Set the quotas'));
    const form = within(card).getByRole('form', { name: 'Set the quotas' });
    expect(within(form).getByLabelText('Max stored (GiB)')).toHaveValue('10');
    await userEvent.clear(within(form).getByLabelText('Max concurrent jobs'));
    await userEvent.type(within(form).getByLabelText('Max concurrent jobs'), '5000');
    await userEvent.clear(within(form).getByLabelText('Max stored (GiB)'));
    await userEvent.type(within(form).getByLabelText('Max stored (GiB)'), '1.5');
    await userEvent.click(within(form).getByRole('button', { name: 'Save' }));
    expect(await within(form).findByText('must be at most 1000')).toHaveClass('field-error');
    expect(JSON.parse(String(calls.find((c) => c.method === 'PUT')!.init.body))).toEqual({ max_concurrent_jobs: 5000, max_stored_bytes: 1610612736 });

    await userEvent.clear(within(form).getByLabelText('Max concurrent jobs'));
    await userEvent.click(within(form).getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(asked(calls, '/v1/teams/team_1/quotas')).toHaveLength(2));
    expect(JSON.parse(String(calls.filter((c) => c.method === 'PUT')[1].init.body))).toEqual({ max_concurrent_jobs: null, max_stored_bytes: 1610612736 });
    expect(within(form).queryByRole('alert')).toBeNull();
  });

  it('offers a team key no limits form, and says who sets them', async () => {
    routes(ME);
    appAt('/team');
    const card = await screen.findByLabelText('Budget');
    expect(await within(card).findByText('Only an operator (the admin key) sets the monthly limit.')).toBeInTheDocument();
    expect(screen.queryByText('Set the monthly budget')).toBeNull();
    expect(await within(screen.getByLabelText('Quotas')).findByText(/Concurrent jobs/)).toBeInTheDocument();
    expect(screen.queryByText('Set the quotas')).toBeNull();
  });
});

describe('team helpers', () => {
  it('grants as the server does: :write implies :read, the admin key everything, operator no team key', () => {
    const k = { admin: false, scopes: ['jobs:write', 'inference'] };
    expect(grants(k, 'jobs:read')).toBe(true);
    expect(grants(k, 'jobs:write')).toBe(true);
    expect(grants(k, 'inference')).toBe(true);
    expect(grants(k, 'models:read')).toBe(false);
    expect(grants({ admin: false, scopes: ['jobs:read'] }, 'jobs:write')).toBe(false);
    expect(grants(k, 'authenticated')).toBe(true);
    expect(grants({ admin: false, scopes: ['operator'] }, 'operator')).toBe(false);
    expect(grants({ admin: true, scopes: [] }, 'operator')).toBe(true);
  });

  it('sums training spend by job, the most expensive first', () => {
    expect(spendByJob(USAGE.training!)).toEqual([
      { job: 'job_big', models: ['model_a'], device_seconds: 4000, spend: 27.5 },
      { job: 'job_small', models: ['model_a'], device_seconds: 30, spend: 0.25 },
    ]);
    expect(spendByJob([])).toEqual([]);
  });

  it('writes a time as its UTC day, whatever offset it was sent with', () => {
    expect(when('2026-12-31T23:00:00-05:00')).toBe('2027-01-01');
    expect(when('2026-12-31T23:00:00Z')).toBe('2026-12-31');
    expect(when('not a time')).toBe('not a time');
  });

  it('takes this month from its first day to today, in UTC', () => {
    expect(monthRange(new Date('2026-12-31T23:59:59Z'))).toEqual({ from: '2026-12-01', to: '2026-12-31' });
    expect(monthRange(new Date('2027-01-01T00:00:00Z'))).toEqual({ from: '2027-01-01', to: '2027-01-01' });
  });

  it('builds the key body in the server\'s scope order, and refuses what it must at pointers', () => {
    expect(keyBody(' a ', ['inference', 'datasets:read'], '')).toEqual({ name: 'a', scopes: ['datasets:read', 'inference'] });
    expect(keyBody('a', ['inference'], ' 7 ')).toEqual({ name: 'a', scopes: ['inference'], expires_in_days: 7 });
    for (const bad of ['0', '1.5', '-3', 'soon']) {
      expect(() => keyBody('a', ['inference'], bad)).toThrow('The key was not created.');
    }
  });

  it('reads the operator\'s limits: empty is none, anything else must parse or is refused', () => {
    expect(amount('', '/x')).toBeNull();
    expect(amount(' 12.5 ', '/x')).toBe(12.5);
    expect(() => amount('-1', '/x')).toThrow('Not saved.');
    expect(() => amount('0', '/x', false)).toThrow('Not saved.');
    expect(fraction('80', '/x')).toBe(0.8);
    expect(() => fraction('0.5', '/x')).toThrow('Not saved.');
    expect(count('3', '/x')).toBe(3);
    expect(() => count('2.5', '/x')).toThrow('Not saved.');
    expect(gib('0.5', '/x')).toBe(512 * 1024 ** 2);
    expect(() => gib('big', '/x')).toThrow('Not saved.');
  });

  it('writes money, device time and percentages', () => {
    expect(money(12.5, 'USD')).toBe('$12.50');
    expect(money(0.0123, 'USD')).toBe('$0.0123');
    expect(money(0, 'EUR')).toBe('€0.00');
    expect(money(2, 'XYZW')).toBe('2.00 XYZW');
    expect(money(null)).toBe('—');
    expect(deviceTime(42.46)).toBe('42.5 s');
    expect(deviceTime(245)).toBe('4m 05s');
    expect(deviceTime(7380)).toBe('2h 03m');
    expect(percent(5, 0)).toBe(0);
    expect(percent(12, 10)).toBe(100);
  });
});
