import { afterEach, describe, expect, it, vi } from 'vitest';
import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { loraBody, loraFits } from './LaunchJob';
import { type Model } from '../api';
import { launchAt } from '../test-app';
import { json, list, mockFetch, problem } from '../test-fetch';

afterEach(() => vi.unstubAllGlobals());

const METHODS = () => list([
  {
    type: 'grpo', dataset_purpose: 'prompts', uses_reward_spec: true, required_family: 'language-model', produces: 'language-model',
    hyperparameters: [{ key: 'max_steps', type: 'integer', default: 100, values: null, description: 'Optimizer steps.' }],
  },
  {
    type: 'reward_model', dataset_purpose: 'preferences', uses_reward_spec: false, required_family: 'language-model', produces: 'reward-model',
    hyperparameters: [{ key: 'epochs', type: 'integer', default: 1, values: null, description: 'Passes.' }],
  },
]);
const model = (id: string, name: string, recipe: string, parent: string | null = null) => ({
  id, name, family: 'language-model', recipe, status: 'ready', parent, job: null, checkpoint: null, parameters: 7360,
  import: null, created_at: '2026-01-01T00:00:00Z',
}) as Model;
const MODELS = [model('model_hf', 'tiny-gpt2', 'import'), model('model_al', 'tiny-gpt2:lora', 'import', 'model_hf'), model('model_tg', 'base', 'tiny-gpt')];

function launch(path = '/jobs/new', post: () => Response = () => json({ id: 'job_1', status: 'queued' }, 201)) {
  const calls = mockFetch({
    'GET /v1/methods': METHODS,
    'GET /v1/models': () => list(MODELS),
    'GET /v1/datasets': () => list([{ id: 'ds_p', name: 'prompts', purpose: 'prompts', lines: 4, fields: ['prompt'], created_at: '' }]),
    'GET /v1/reward-specs': () => list([{ id: 'rs_1', name: 'exact', grader: {}, item_fields: [], created_at: '' }]),
    'POST /v1/jobs': post,
    'GET /v1/jobs/job_1': () => json({}),
  });
  launchAt(path);
  const sent = () => JSON.parse(String(calls.find((c) => c.method === 'POST')!.init.body));
  return { calls, sent };
}

async function fillRequired() {
  await userEvent.selectOptions(screen.getByLabelText('Dataset'), 'ds_p');
  await userEvent.selectOptions(screen.getByLabelText('Reward spec'), 'rs_1');
}

describe('loraBody and loraFits', () => {
  it('leaves empty boxes to the defaults, parses numbers and splits modules at commas', () => {
    expect(loraBody({ r: '', lora_alpha: '', target_modules: ' , ' })).toEqual({});
    expect(loraBody({ r: '4', lora_alpha: '8.5', target_modules: 'q_proj, v_proj,' })).toEqual({ r: 4, lora_alpha: 8.5, target_modules: ['q_proj', 'v_proj'] });
    // what is not a number goes as typed: the API names the field
    expect(loraBody({ r: 'four', lora_alpha: '', target_modules: '' })).toEqual({ r: 'four' });
  });

  it('fits imported models and models aligned from them (recipe import), not tiny-gpt', () => {
    expect(MODELS.map(loraFits)).toEqual([true, true, false]);
    expect(loraFits(undefined)).toBe(true);
  });
});

describe('Launch job: LoRA on an imported model', () => {
  it('sends method.lora from the LoRA section and shows its problems at their fields', async () => {
    let answer = 0;
    const { sent } = launch('/jobs/new?model=model_hf', () => (++answer === 1
      ? problem(422, 'validation_failed', 'The job is invalid.', [
        { pointer: '/method/lora/r', detail: 'must be at least 1' },
        { pointer: '/method/lora/target_modules/1', detail: 'must be a module name' },
        { pointer: '/method/lora/lora_alpha', detail: 'must be a number' },
      ])
      : json({ id: 'job_1', status: 'queued' }, 201)));
    const box = await screen.findByLabelText('Train LoRA adapters (imported models)');
    expect(box).toBeEnabled();
    expect(box).not.toBeChecked();
    // no adapter fields until it is ticked
    expect(screen.queryByLabelText('r')).toBeNull();
    await fillRequired();
    await userEvent.click(box);
    expect(screen.getByLabelText('r')).toHaveAttribute('placeholder', '8');
    expect(screen.getByLabelText('lora_alpha')).toHaveAttribute('placeholder', '16');
    await userEvent.type(screen.getByLabelText('r'), '0');
    await userEvent.type(screen.getByLabelText('lora_alpha'), 'x');
    await userEvent.type(screen.getByLabelText('target_modules'), 'c_attn, ');
    await userEvent.click(screen.getByRole('button', { name: 'Launch job' }));

    const r = screen.getByLabelText('r');
    expect(await screen.findByText('must be at least 1')).toHaveClass('field-error');
    expect(r).toHaveAttribute('aria-invalid', 'true');
    expect(screen.getByLabelText('lora_alpha')).toHaveAttribute('aria-invalid', 'true');
    const modules = screen.getByLabelText('target_modules');
    expect(modules).toHaveAttribute('aria-invalid', 'true');
    expect(modules.closest('.field')!.querySelector('.field-error')).toHaveTextContent('1: must be a module name');
    // all placed at fields: the summary lists none of them
    const summary = screen.getByText('The job was not created:').closest('.error-box') as HTMLElement;
    expect(within(summary).queryByText(/\/method\/lora/)).toBeNull();
    expect(sent()).toEqual({ model: 'model_hf', dataset: 'ds_p', reward_spec: 'rs_1',
      method: { type: 'grpo', grpo: {}, lora: { r: 0, lora_alpha: 'x', target_modules: ['c_attn'] } } });

    await userEvent.clear(r);
    await userEvent.type(r, '4');
    await userEvent.clear(screen.getByLabelText('lora_alpha'));
    await userEvent.type(screen.getByLabelText('lora_alpha'), '8');
    await userEvent.type(screen.getByLabelText('max_steps'), '2');
    await userEvent.click(screen.getByRole('button', { name: 'Launch job' }));
    expect(await screen.findByText('job page')).toBeInTheDocument();
  });

  it('offers LoRA on a model aligned from an import, puts /method/lora at the checkbox, and sends nothing when left empty', async () => {
    const { sent } = launch('/jobs/new?model=model_al', () => problem(422, 'validation_failed', 'The job is invalid.', [
      { pointer: '/method/lora', detail: 'LoRA adapts imported models' },
    ]));
    const box = await screen.findByLabelText('Train LoRA adapters (imported models)');
    await fillRequired();
    await userEvent.click(box);
    await userEvent.click(screen.getByRole('button', { name: 'Launch job' }));
    expect(await screen.findByText('LoRA adapts imported models')).toHaveClass('field-error');
    expect(box).toHaveAttribute('aria-invalid', 'true');
    expect(sent().method).toEqual({ type: 'grpo', grpo: {}, lora: {} });
  });

  it('disables LoRA for a tiny-gpt base and sends no lora, even if it was ticked for another model', async () => {
    const { sent } = launch('/jobs/new?model=model_hf');
    const box = await screen.findByLabelText('Train LoRA adapters (imported models)');
    await fillRequired();
    await userEvent.click(box);
    expect(screen.getByLabelText('r')).toBeInTheDocument();
    await userEvent.selectOptions(screen.getByLabelText('Model'), 'model_tg');
    expect(box).toBeDisabled();
    expect(box).not.toBeChecked();
    expect(screen.queryByLabelText('r')).toBeNull();
    expect(screen.getByText(/a tiny-gpt trains in full/)).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Launch job' }));
    await screen.findByText('job page');
    expect(sent()).toEqual({ model: 'model_tg', dataset: 'ds_p', reward_spec: 'rs_1', method: { type: 'grpo', grpo: {} } });
  });

  it('offers LoRA for every method that trains a language model, the reward model included', async () => {
    launch('/jobs/new?model=model_hf');
    await screen.findByLabelText('Train LoRA adapters (imported models)');
    await userEvent.selectOptions(screen.getByLabelText('Method'), 'reward_model');
    expect(screen.getByLabelText('Train LoRA adapters (imported models)')).not.toBeNull();
  });
});
