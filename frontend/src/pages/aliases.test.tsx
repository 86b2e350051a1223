import { afterEach, describe, expect, it, vi } from 'vitest';
import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { appAt } from '../test-app';
import { aliasPath, type Alias, type AliasDetail } from '../api';
import { json, list, mockFetch } from '../test-fetch';

// Aliases (issue 16): chips on reward specs and models, the Aliases tab with each alias's history, and moves that
// need a passing evaluation.

afterEach(() => vi.unstubAllGlobals());

const PROD: Alias = { name: 'helpfulness@production', target: 'model_rm1', kind: 'reward_model', updated_at: '2026-01-02T00:00:00Z',
  updated_by: 'key_ci', evaluation: 'eval_ok' };
const DETAIL: AliasDetail = {
  ...PROD,
  history: [
    { target: 'rs_1', previous: null, moved_at: '2026-01-01T00:00:00Z', moved_by: 'key_alice', evaluation: null, suite: null },
    { target: 'model_rm1', previous: 'rs_1', moved_at: '2026-01-02T00:00:00Z', moved_by: 'key_ci', evaluation: 'eval_ok', suite: 'suite_1' },
  ],
};
const SPEC = { id: 'rs_len', name: 'length', grader: {}, item_fields: [], created_at: '2026-01-01T00:00:00Z' };
const RM = { id: 'model_rm1', name: 'judge', family: 'reward-model', recipe: 'tiny-gpt', status: 'ready', parent: null, job: null, checkpoint: null,
  created_at: '2026-01-01T00:00:00Z' };
const catalog = {
  'GET /v1/reward-specs': () => list([SPEC]),
  'GET /v1/models': () => list([RM]),
  'GET /v1/eval-suites': () => list([{ id: 'suite_1', name: 'arith', version: 1 }, { id: 'suite_2', name: 'arith', version: 2 }]),
};

describe('Aliases', () => {
  it('encodes an alias name in its path but keeps the @', () => {
    expect(aliasPath('helpfulness@production')).toBe('/v1/aliases/helpfulness@production');
    expect(aliasPath('a b')).toBe('/v1/aliases/a%20b');
  });

  it('lists aliases, shows one\'s history, and shows a move refused for want of a passing evaluation with a link to it', async () => {
    let gate = true;
    const calls = mockFetch({
      ...catalog,
      'GET /v1/aliases': () => list([PROD]),
      'GET /v1/aliases/helpfulness@production': () => json(DETAIL),
      'POST /v1/aliases/helpfulness@production': () => (gate
        ? json({ type: 'https://tropism.dev/problems/evaluation_required', title: 'Evaluation required', status: 409, code: 'evaluation_required',
          detail: 'The newest evaluation of rs_len on arith failed (min_gold_correlation).', errors: [], evaluation: 'eval_bad', suite: 'suite_2' },
        409, 'application/problem+json')
        : json({ ...PROD, target: 'rs_len', evaluation: null })),
    });
    appAt('/evaluations/aliases');
    const table = await screen.findByRole('table', { name: 'Aliases' });
    const row = within(table).getAllByRole('row')[1];
    expect(row).toHaveTextContent('helpfulness@production');
    expect(row).toHaveTextContent('model_rm1 reward model');
    expect(row).toHaveTextContent('by key_ci');
    expect(within(row).getByRole('link', { name: 'eval_ok' })).toHaveAttribute('href', '/evaluations/eval_ok');

    await userEvent.click(within(row).getByRole('button', { name: 'helpfulness@production' }));
    const history = await screen.findByRole('table', { name: 'History of helpfulness@production' });
    const moves = within(history).getAllByRole('row').slice(1);
    // newest first
    expect(moves[0]).toHaveTextContent('model_rm1rs_1key_cieval_ok on suite_1');
    expect(within(moves[0]).getByRole('link', { name: 'eval_ok' })).toHaveAttribute('href', '/evaluations/eval_ok');
    expect(moves[1]).toHaveTextContent('rs_1(created)key_aliceno check');

    const form = screen.getByRole('form', { name: 'Move an alias' });
    expect(within(form).getByLabelText('Alias')).toHaveValue('helpfulness@production');
    const suite = within(form).getByLabelText('Require a passing evaluation on');
    await within(suite).findByRole('option', { name: 'arith' });
    await within(form).findByRole('option', { name: 'length (rs_len)' });
    // one entry a suite name (its newest version)
    expect(within(suite).getAllByRole('option').map((o) => o.textContent)).toEqual(['(no evaluation required)', 'arith']);
    await userEvent.selectOptions(within(form).getByLabelText('Target'), 'rs_len');
    await userEvent.selectOptions(suite, 'arith');
    await userEvent.click(within(form).getByRole('button', { name: 'Move alias' }));

    const refused = await within(form).findByRole('alert');
    expect(refused).toHaveTextContent('Not moved: the target has not passed the suite suite_2.');
    expect(refused).toHaveTextContent('The newest evaluation of rs_len on arith failed (min_gold_correlation).');
    expect(within(refused).getByRole('link', { name: 'See evaluation eval_bad' })).toHaveAttribute('href', '/evaluations/eval_bad');
    const post = calls.find((c) => c.method === 'POST')!;
    expect(post.url).toBe('/v1/aliases/helpfulness@production');
    expect(JSON.parse(String(post.init.body))).toEqual({ target: 'rs_len', require_passing_suite: 'arith' });

    // without the requirement it moves, and the history is asked for again
    gate = false;
    const before = calls.filter((c) => c.url === '/v1/aliases/helpfulness@production' && c.method === 'GET').length;
    await userEvent.selectOptions(suite, '');
    await userEvent.click(within(form).getByRole('button', { name: 'Move alias' }));
    expect(await within(form).findByRole('status')).toHaveTextContent('helpfulness@production now points at rs_len.');
    expect(within(form).queryByRole('alert')).toBeNull();
    expect(JSON.parse(String(calls.filter((c) => c.method === 'POST').at(-1)!.init.body))).toEqual({ target: 'rs_len' });
    await vi.waitFor(() =>
      expect(calls.filter((c) => c.url === '/v1/aliases/helpfulness@production' && c.method === 'GET').length).toBeGreaterThan(before));
  });

  it('offers to run an evaluation when the refused move has none yet', async () => {
    mockFetch({
      ...catalog,
      'GET /v1/aliases': () => list([]),
      'POST /v1/aliases/helpfulness@candidate': () => json({ type: 'x', title: 'x', status: 409, code: 'evaluation_required',
        detail: 'rs_len has no finished evaluation on arith.', errors: [], evaluation: null, suite: 'suite_2' }, 409, 'application/problem+json'),
    });
    appAt('/evaluations/aliases');
    expect(await screen.findByText(/No aliases yet/)).toBeInTheDocument();
    const form = screen.getByRole('form', { name: 'Move an alias' });
    await userEvent.type(within(form).getByLabelText('Alias'), 'helpfulness@candidate');
    await within(form).findByRole('option', { name: 'length (rs_len)' });
    await within(form).findByRole('option', { name: 'arith' });
    await userEvent.selectOptions(within(form).getByLabelText('Target'), 'rs_len');
    await userEvent.selectOptions(within(form).getByLabelText('Require a passing evaluation on'), 'arith');
    await userEvent.click(within(form).getByRole('button', { name: 'Move alias' }));
    const refused = await within(form).findByRole('alert');
    expect(refused).toHaveTextContent('No finished evaluation of it on that suite yet: run one.');
    expect(within(refused).getByRole('link', { name: 'run one' })).toHaveAttribute('href', '/evaluations?suite=suite_2&candidate=rs_len');
  });

  it('shows aliases as chips on reward specs and reward models, linking to the alias', async () => {
    mockFetch({
      'GET /v1/reward-specs': () => list([{ ...SPEC, aliases: ['length@candidate'] }]),
      'GET /v1/models': () => list([{ ...RM, aliases: ['helpfulness@production', 'helpfulness@staging'] }]),
      'GET /v1/datasets': () => list([]),
    });
    const { unmount } = appAt('/reward-specs');
    const specs = await screen.findByRole('list', { name: 'Reward specs' });
    const chip = within(within(specs).getByRole('list', { name: 'Aliases' })).getByRole('listitem');
    expect(chip).toHaveTextContent('length@candidate');
    // a link inside the list item: assistive technology (and Playwright's getByRole) must see a link
    expect(within(chip).getByRole('link', { name: 'length@candidate' })).toHaveAttribute('href', '/evaluations/aliases?name=length%40candidate');
    unmount();

    appAt('/models');
    const lineage = await screen.findByRole('list', { name: 'Model lineage' });
    const chips = within(within(lineage).getByRole('list', { name: 'Aliases' })).getAllByRole('listitem');
    expect(chips.map((c) => c.textContent)).toEqual(['helpfulness@production', 'helpfulness@staging']);
    expect(chips.map((c) => within(c).getByRole('link').getAttribute('href'))).toEqual([
      '/evaluations/aliases?name=helpfulness%40production', '/evaluations/aliases?name=helpfulness%40staging']);
  });

  it('shows the alias a job\'s reward specs were given as, beside the ids they resolved to', async () => {
    const sse = () => new Response('', { headers: { 'Content-Type': 'text/event-stream' } });
    mockFetch({
      'GET /v1/jobs/job_a': () => json({
        id: 'job_a', status: 'queued', model: 'model_a', dataset: 'ds_p', eval_dataset: 'ds_e', reward_spec: 'rs_1', eval_reward_spec: 'rs_gold',
        reward_spec_alias: 'helpfulness@production', eval_reward_spec_alias: 'gold@v1', method: { type: 'grpo' }, seed: 1, suffix: null, error: null,
        result_model: null, current_step: 0, total_steps: 10, created_at: '2026-01-01T00:00:00Z', started_at: null, finished_at: null, resources: null,
        worker: null, wait_reason: null, attempts: 0,
      }),
      'GET /v1/jobs/job_a/metrics': sse,
      'GET /v1/jobs/job_a/events': sse,
      'GET /v1/jobs/job_a/checkpoints': () => list([]),
      'GET /v1/jobs/job_a/samples': () => json({ type: 'x', title: 'x', status: 404, code: 'not_found', detail: 'none' }, 404),
      'GET /v1/models/': () => json({ id: 'model_a', family: 'language-model' }),
    });
    appAt('/jobs/job_a');
    const spec = (await screen.findByText('Reward spec', { selector: 'dt' })).nextElementSibling!;
    expect(spec).toHaveTextContent('rs_1 (alias helpfulness@production) · gold rs_gold (alias gold@v1)');
  });
});
