import { afterEach, describe, expect, it, vi } from 'vitest';
import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { MemoryRouter, Route, Routes } from 'react-router-dom';
import type { ReactNode } from 'react';
import { AuthProvider } from '../auth';
import { LaunchJob, methodsFor } from './LaunchJob';
import { lineage, Models } from './Models';
import { imageRequest, Playground } from './Playground';
import { upscaled } from './JobDetail';
import { storeKey, type Method, type Model } from '../api';
import { json, list, mockFetch, problem } from '../test-fetch';

// The flow-matching family in the UI: launch form, models page, playground (the gallery runs in the e2e suite).

afterEach(() => vi.unstubAllGlobals());

function at(path: string, element: ReactNode) {
  return render(
    <AuthProvider>
      <MemoryRouter initialEntries={[path]}>
        <Routes>
          <Route path="*" element={element} />
        </Routes>
      </MemoryRouter>
    </AuthProvider>,
  );
}

const hp = (key: string, def: number, description: string) => ({ key, type: 'number', default: def, values: null, description });
const method = (type: string, family: string, produces: string, hyper = [hp('max_steps', 60, 'Steps.')]): Method =>
  ({ type, dataset_purpose: type === 'reward_model' ? 'preferences' : 'prompts', uses_reward_spec: type !== 'reward_model',
    required_family: family, produces, hyperparameters: hyper }) as Method;
const METHODS = [
  method('grpo', 'language-model', 'language-model'),
  method('reward_model', 'language-model', 'reward-model'),
  method('flow_grpo', 'flow-matching', 'flow-matching', [hp('noise_level', 0.7, 'a, the SDE noise level.')]),
  method('flow_dpo', 'flow-matching', 'flow-matching', [hp('dpo_beta', 500, 'β of the DPO loss.')]),
];
const CLASSES = ['t-shirt', 'trouser', 'sneaker'];
const model = (id: string, name: string, family: string, extra: Partial<Model> = {}) =>
  ({ id, name, family, recipe: 'tiny-flow', status: 'ready', parent: null, job: null, checkpoint: null, parameters: 1000,
    classes: family === 'language-model' ? null : CLASSES, created_at: '2026-01-01T00:00:00Z', ...extra }) as Model;
const LM = model('model_lm', 'lm-base', 'language-model');
const FLOW = model('model_flow', 'shoes', 'flow-matching', { job: 'job_p' });

describe('methodsFor', () => {
  it('offers the methods whose required family is the model\'s', () => {
    expect(methodsFor(METHODS, FLOW).map((m) => m.type)).toEqual(['flow_grpo', 'flow_dpo']);
    expect(methodsFor(METHODS, LM).map((m) => m.type)).toEqual(['grpo', 'reward_model']);
    expect(methodsFor(METHODS, undefined)).toHaveLength(4);
  });
});

describe('Launch job with a flow-matching model', () => {
  it('offers only flow methods, their keys, and puts errors at the hyperparameter and the dataset', async () => {
    storeKey('tro_k');
    const calls = mockFetch({
      'GET /v1/methods': () => list(METHODS),
      'GET /v1/models': () => list([LM, FLOW, model('model_clf', 'shoes/gold-classifier', 'image-classifier')]),
      'GET /v1/datasets': () => list([{ id: 'ds_c', name: 'classes', purpose: 'prompts', lines: 2, fields: ['prompt'], created_at: '' }]),
      'GET /v1/reward-specs': () => list([{ id: 'rs_r', name: 'reward-clf', grader: {}, item_fields: [], created_at: '' },
        { id: 'rs_g', name: 'gold-clf', grader: {}, item_fields: [], created_at: '' }]),
      'POST /v1/jobs': () =>
        problem(422, 'validation_failed', 'The job is invalid.', [
          { pointer: '/method/flow_grpo/noise_level', detail: 'must be in (0, 5], got 0.0' },
          { pointer: '/dataset', detail: 'line 2: "boot" is not a class of the model' },
        ]),
    });
    at('/jobs/new', <LaunchJob />);
    const modelBox = await screen.findByLabelText('Model');
    // classifiers only score: not offered
    expect(within(modelBox).queryByText('shoes/gold-classifier')).toBeNull();
    await userEvent.selectOptions(modelBox, 'model_flow');
    const methodBox = screen.getByLabelText('Method');
    expect(within(methodBox).getAllByRole('option').map((o) => o.textContent)).toEqual(['flow_grpo', 'flow_dpo']);
    expect(methodBox).toHaveDisplayValue('flow_grpo');
    expect(screen.getByText('a, the SDE noise level.')).toBeInTheDocument();
    await userEvent.selectOptions(screen.getByLabelText('Dataset'), 'ds_c');
    await userEvent.selectOptions(screen.getByLabelText('Reward spec'), 'rs_r');
    await userEvent.selectOptions(screen.getByLabelText('Gold reward spec'), 'rs_g');
    const noise = screen.getByLabelText('noise_level');
    await userEvent.type(noise, '0');
    await userEvent.click(screen.getByRole('button', { name: 'Launch job' }));

    expect(await screen.findByText('must be in (0, 5], got 0.0')).toBeInTheDocument();
    expect(noise).toHaveAttribute('aria-invalid', 'true');
    expect(screen.getByLabelText('Dataset')).toHaveAttribute('aria-invalid', 'true');
    expect(screen.getByText(/"boot" is not a class/)).toBeInTheDocument();
    const sent = JSON.parse(String(calls.find((c) => c.method === 'POST')!.init.body));
    expect(sent).toEqual({ model: 'model_flow', dataset: 'ds_c', reward_spec: 'rs_r', eval_reward_spec: 'rs_g',
      method: { type: 'flow_grpo', flow_grpo: { noise_level: 0 } } });

    // back to a language model: only its methods
    await userEvent.selectOptions(screen.getByLabelText('Model'), 'model_lm');
    expect(within(screen.getByLabelText('Method')).getAllByRole('option').map((o) => o.textContent)).toEqual(['grpo', 'reward_model']);
  });

  it('picks a fitting method for a flow model named in the URL', async () => {
    storeKey('tro_k');
    mockFetch({
      'GET /v1/methods': () => list(METHODS),
      'GET /v1/models': () => list([LM, FLOW]),
      'GET /v1/datasets': () => list([]),
      'GET /v1/reward-specs': () => list([]),
    });
    at('/jobs/new?model=model_flow', <LaunchJob />);
    expect(await screen.findByLabelText('Method')).toHaveDisplayValue('flow_grpo');
    expect(screen.getByRole('group', { name: /Hyperparameters of flow_grpo/ })).toBeInTheDocument();
  });
});

describe('Models page and tiny-flow', () => {
  it('hangs the two classifiers under their flow model', () => {
    const roots = lineage([
      FLOW,
      model('model_r', 'shoes/reward-classifier', 'image-classifier', { parent: 'model_flow', job: 'job_p' }),
      model('model_g', 'shoes/gold-classifier', 'image-classifier', { parent: 'model_flow', job: 'job_p' }),
      model('model_a', 'shoes:e2e', 'flow-matching', { parent: 'model_flow', job: 'job_a' }),
      model('model_a2', 'shoes:e2e@2', 'flow-matching', { parent: 'model_flow', job: 'job_a' }),
    ]);
    expect(roots.map((r) => r.model.id)).toEqual(['model_flow']);
    expect(roots[0].children.map((c) => c.model.id)).toEqual(['model_r', 'model_g', 'model_a']);
    expect(roots[0].children[2].children.map((c) => c.model.id)).toEqual(['model_a2']);
  });

  it('pretrains tiny-flow without a dataset, and hyperparameters only when given', async () => {
    storeKey('tro_k');
    const calls = mockFetch({
      'GET /v1/models': () => list([FLOW, model('model_r', 'shoes/reward-classifier', 'image-classifier', { parent: 'model_flow', job: 'job_p' })]),
      'GET /v1/datasets': () => list([]),
      'GET /v1/reward-specs': () => list([]),
      'POST /v1/models': () => json({ ...FLOW, id: 'model_new', status: 'training', job: 'job_new' }, 201),
    });
    at('/models', <Models />);
    await screen.findByRole('list', { name: 'Model lineage' });
    // a classifier: its classes, but no playground and no align link
    expect(screen.getByText('3 classes')).toBeInTheDocument();
    expect(screen.queryByRole('link', { name: 'Open shoes/reward-classifier in the playground' })).toBeNull();
    expect(screen.getByRole('link', { name: 'Align shoes' })).toHaveAttribute('href', '/jobs/new?model=model_flow');

    await userEvent.click(screen.getByText(/Pretrain a base model/));
    await userEvent.selectOptions(screen.getByLabelText('Recipe'), 'tiny-flow');
    expect(screen.queryByLabelText('Corpus')).toBeNull();
    expect(screen.getByLabelText('Hyperparameters (JSON)')).toHaveValue('');
    await userEvent.clear(screen.getByLabelText('Name'));
    await userEvent.type(screen.getByLabelText('Name'), 'shoes2');
    await userEvent.click(screen.getByRole('button', { name: 'Pretrain' }));
    expect(await screen.findByRole('status')).toHaveTextContent('model_new');
    const sent = JSON.parse(String(calls.find((c) => c.method === 'POST')!.init.body));
    expect(sent).toEqual({ name: 'shoes2', recipe: 'tiny-flow', seed: 1 });
  });
});

describe('Playground with image models', () => {
  it('builds the image request with optional steering', () => {
    expect(imageRequest('model_flow', { prompt: 'sneaker', seed: 3, n: 2, temperature: 1, maxTokens: 8 })).toEqual({
      model: 'model_flow', prompt: 'sneaker', n: 2, seed: 3, response_format: 'b64_json' });
    expect(imageRequest('m', { prompt: 'coat', seed: 1, n: 1, temperature: 1, maxTokens: 8, steps: 5, guidance: 2,
      steering: { type: 'fk', reward_spec: 'rs_1', particles: 4 } })).toMatchObject({
      steps: 5, guidance_scale: 2, steering: { type: 'fk', reward_spec: 'rs_1', particles: 4 } });
  });

  it('offers the classes, sends the same seed to base and aligned, and shows the steered rewards', async () => {
    storeKey('tro_k');
    const aligned = model('model_a', 'shoes:e2e', 'flow-matching', { parent: 'model_flow', job: 'job_a' });
    const calls = mockFetch({
      'GET /v1/models': () => list([FLOW, aligned]),
      'GET /v1/reward-specs': () => list([{ id: 'rs_r', name: 'reward-clf', grader: {}, item_fields: [], created_at: '' }]),
      'POST /v1/images/generations': (_url, init) => {
        const body = JSON.parse(String(init.body));
        const r = body.model === 'model_flow' ? 0.25 : 0.75;
        return json({ created: 1, data: [{ b64_json: 'iVBORw0KGgo=' }], tropism: { steering: 'best_of_n', rewards: [r] } });
      },
    });
    at('/playground?left=model_flow&right=model_a', <Playground />);
    const cls = await screen.findByLabelText('Class');
    expect(within(cls).getAllByRole('option').map((o) => o.textContent)).toEqual(CLASSES);
    expect(screen.queryByLabelText('Max tokens')).toBeNull();
    await userEvent.selectOptions(cls, 'sneaker');
    await userEvent.selectOptions(screen.getByLabelText('Steering'), 'best_of_n');
    await userEvent.selectOptions(screen.getByLabelText('Steering reward spec'), 'rs_r');
    await userEvent.click(screen.getByRole('button', { name: 'Generate' }));

    const left = await screen.findByLabelText('Left model output');
    expect(await within(left).findByTestId('image-reward')).toHaveTextContent('0.25');
    expect(within(screen.getByLabelText('Right model output')).getByTestId('image-reward')).toHaveTextContent('0.75');
    expect(within(left).getByRole('img')).toHaveAttribute('src', 'data:image/png;base64,iVBORw0KGgo=');
    const bodies = calls.filter((c) => c.method === 'POST').map((c) => JSON.parse(String(c.init.body)));
    expect(bodies.map((b) => b.model).sort()).toEqual(['model_a', 'model_flow']);
    for (const b of bodies) {
      expect(b).toEqual({ model: b.model, prompt: 'sneaker', n: 1, seed: 1, response_format: 'b64_json',
        steering: { type: 'best_of_n', reward_spec: 'rs_r', particles: 4 } });
    }
  });
});

describe('Gallery', () => {
  it('scales grids by whole pixels towards 192 px', () => {
    expect(upscaled(56)).toBe(168);
    expect(upscaled(224)).toBe(224);
    expect(upscaled(28 * 16)).toBe(448);
    expect(upscaled(0)).toBeUndefined();
  });
});
