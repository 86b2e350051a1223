import { render } from '@testing-library/react';
import { MemoryRouter, Route, Routes } from 'react-router-dom';
import { LaunchJob } from './pages/LaunchJob';
import { list } from './test-fetch';
import { AuthProvider } from './auth';
import { App } from './App';
import { storeKey } from './api';

/** The whole app at `path`, signed in with a team key. */
export function appAt(path: string, key = 'tro_k') {
  storeKey(key);
  return render(
    <AuthProvider>
      <MemoryRouter initialEntries={[path]}>
        <App />
      </MemoryRouter>
    </AuthProvider>,
  );
}

/** What the launch form loads: one GRPO method without hyperparameters, a ready model, a prompts dataset and a reward spec. */
export const LAUNCH_CATALOG = {
  'GET /v1/methods': () => list([{ type: 'grpo', dataset_purpose: 'prompts', uses_reward_spec: true, required_family: 'language-model',
    produces: 'language-model', hyperparameters: [] }]),
  'GET /v1/models': () => list([{ id: 'model_a', name: 'base', family: 'language-model', recipe: 'tiny-gpt', status: 'ready', created_at: '' }]),
  'GET /v1/datasets': () => list([{ id: 'ds_p', name: 'prompts', purpose: 'prompts', lines: 2, fields: ['prompt'], created_at: '' }]),
  'GET /v1/reward-specs': () => list([{ id: 'rs_1', name: 'exact', grader: {}, item_fields: [], created_at: '' }]),
};

/** The launch form for model_a, signed in with a team key; a created job lands on a stand-in page that reads "job page". */
export function launchAt(path = '/jobs/new?model=model_a') {
  storeKey('tro_k');
  return render(
    <AuthProvider>
      <MemoryRouter initialEntries={[path]}>
        <Routes>
          <Route path="/jobs/new" element={<LaunchJob />} />
          <Route path="/jobs/:id" element={<p>job page</p>} />
        </Routes>
      </MemoryRouter>
    </AuthProvider>,
  );
}
