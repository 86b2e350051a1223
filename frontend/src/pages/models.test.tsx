import { afterEach, describe, expect, it, vi } from 'vitest';
import { act, render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { MemoryRouter } from 'react-router-dom';
import { AuthProvider } from '../auth';
import { formatCount, Models } from './Models';
import { storeKey, type Model, type ModelCard } from '../api';
import { FakeXhr, json, list, mockFetch, mockXhr } from '../test-fetch';

afterEach(() => vi.unstubAllGlobals());

const CARD: ModelCard = {
  architecture: 'llama', parameters: 1_234_567, vocab_size: 32_000, context_length: 2048, dtype: 'BF16', tokenizer: 'bpe',
  chat_template: '{% for m in messages %}<|{{ m.role }}|>{{ m.content }}{% endfor %}',
  checks: ['config.json: a supported model_type', 'weights: safetensors headers agree with config.json', 'tokenizer fits the embedding'],
};
const imported = (id: string, name: string, status: string, card: ModelCard | null, error: string | null = null) => ({
  id, name, family: 'language-model', recipe: 'import', status, parent: null, job: null, checkpoint: null, parameters: card?.parameters ?? null,
  import: { source: 'upload', card, error, created_at: '2026-01-01T00:00:00Z', finished_at: null }, created_at: '2026-01-01T00:00:00Z',
}) as Model;

function page() {
  return render(
    <AuthProvider>
      <MemoryRouter initialEntries={['/models']}>
        <Models />
      </MemoryRouter>
    </AuthProvider>,
  );
}

describe('formatCount', () => {
  it('says counts as K, M and B', () => {
    expect([999, 7360, 1_234_567, 124_439_808, 1_100_048_384].map(formatCount)).toEqual(['999', '7.36K', '1.23M', '124M', '1.10B']);
  });
});

describe('Models: imported model cards', () => {
  it('shows the card of an imported model, importing distinctly, and why an import failed', async () => {
    storeKey('tro_k');
    mockFetch({
      'GET /v1/models?': () => list([
        imported('model_ok', 'smol', 'ready', CARD),
        imported('model_busy', 'qwen', 'importing', { ...CARD, architecture: 'qwen2', chat_template: null }),
        imported('model_bad', 'broken', 'failed', { ...CARD, architecture: 'gpt2' }, 'copying the model into object storage failed: disk full'),
      ]),
      'GET /v1/datasets': () => list([]),
      'GET /v1/reward-specs': () => list([]),
    });
    page();
    const ok = await screen.findByRole('group', { name: 'Model card of smol' });
    expect(within(ok).getByText(/^Model card:/)).toHaveTextContent('Model card: llama · 1.23M params · BF16 · bpe tokenizer · chat template');
    const facts = Object.fromEntries(within(ok).getAllByRole('term').map((dt) => [dt.textContent, dt.nextElementSibling!.textContent]));
    expect(facts).toMatchObject({
      Architecture: 'llama', Parameters: '1.23M (1,234,567)', Vocabulary: '32,000 tokens', 'Context length': '2,048 tokens',
      'Weights dtype': 'BF16', Tokenizer: 'bpe', Checks: expect.stringContaining('3 passed'),
    });
    expect(within(ok).getByLabelText('Chat template of smol')).toHaveTextContent('<|{{ m.role }}|>');
    expect(within(ok).getAllByRole('listitem').map((li) => li.textContent)).toEqual(CARD.checks);
    // not servable or trainable yet: no playground or align links
    expect(screen.queryByRole('link', { name: 'Align smol' })).toBeNull();
    expect(screen.queryByRole('link', { name: 'Open smol in the playground' })).toBeNull();

    const busy = screen.getByRole('group', { name: 'Model card of qwen' });
    expect(within(busy).getByRole('status')).toHaveTextContent('Importing');
    expect(within(busy).getByText(/^Model card:/)).not.toHaveTextContent('chat template');
    expect(busy.closest('li')!.querySelector('.badge.status-importing')).toHaveTextContent('importing');

    const bad = screen.getByRole('group', { name: 'Model card of broken' });
    expect(within(bad).getByRole('alert')).toHaveTextContent('Import failed: copying the model into object storage failed: disk full');
  });
});

describe('Models: import form', () => {
  it('uploads with a progress bar, then follows the model until it is ready', async () => {
    storeKey('tro_k');
    mockXhr();
    let polls = 0;
    const calls = mockFetch({
      'GET /v1/models?': () => list([]),
      'GET /v1/models/model_new': () => json(imported('model_new', 'tiny', ++polls < 2 ? 'importing' : 'ready', CARD)),
      'GET /v1/datasets': () => list([]),
      'GET /v1/reward-specs': () => list([]),
    });
    page();
    await screen.findByText(/No models yet/);
    await userEvent.click(screen.getByText(/Import a HuggingFace model/));
    await userEvent.type(screen.getByLabelText('Model name'), 'tiny');
    const archive = new File([new Uint8Array(2048)], 'tiny.tar.gz', { type: 'application/gzip' });
    await userEvent.upload(screen.getByLabelText('Model archive'), archive);
    await userEvent.click(screen.getByRole('button', { name: 'Import' }));

    const xhr = FakeXhr.last!;
    expect(xhr.method).toBe('POST');
    expect(xhr.url).toBe('/v1/models');
    expect(xhr.headers.authorization).toBe('Bearer tro_k');
    const form = xhr.body as FormData;
    expect(form.get('name')).toBe('tiny');
    expect((form.get('file') as File).name).toBe('tiny.tar.gz');

    act(() => xhr.progress(1024, 2048));
    expect(screen.getByRole('progressbar', { name: 'Upload progress' })).toHaveAttribute('value', '50');
    expect(screen.getByTestId('upload-sent')).toHaveTextContent('50% (1.0 KiB of 2.0 KiB sent)');
    act(() => xhr.progress(2048, 2048));
    expect(screen.getByTestId('upload-sent')).toHaveTextContent('100%');

    act(() => xhr.respond(202, imported('model_new', 'tiny', 'importing', CARD)));
    const status = await screen.findByText(/Importing/, { selector: '[role=status]' });
    expect(status).toHaveTextContent('Importing model_new');
    await screen.findByText(/Imported/, { selector: '[role=status]' }, { timeout: 5000 });
    expect(screen.getByText(/Imported/, { selector: '[role=status]' })).toHaveTextContent('Imported model_new: ready.');
    expect(calls.filter((c) => c.url === '/v1/models/model_new').length).toBe(2);
  });

  it('shows the failure reason when the import fails after it was accepted', async () => {
    storeKey('tro_k');
    mockXhr();
    mockFetch({
      'GET /v1/models?': () => list([]),
      'GET /v1/models/model_f': () => json(imported('model_f', 'f', 'failed', CARD, 'the service stopped while the model was being copied; import it again')),
      'GET /v1/datasets': () => list([]),
      'GET /v1/reward-specs': () => list([]),
    });
    page();
    await screen.findByText(/No models yet/);
    await userEvent.upload(screen.getByLabelText('Model archive'), new File(['x'], 'f.zip'));
    await userEvent.click(screen.getByRole('button', { name: 'Import' }));
    act(() => FakeXhr.last!.respond(202, imported('model_f', 'f', 'importing', CARD)));
    const failed = await screen.findByText(/Import of/, { selector: '[role=status]' }, { timeout: 5000 });
    expect(failed).toHaveTextContent('Import of model_f failed: the service stopped while the model was being copied; import it again');
  });

  it('puts a refused archive\'s problem next to the file field', async () => {
    storeKey('tro_k');
    mockXhr();
    mockFetch({ 'GET /v1/models?': () => list([]), 'GET /v1/datasets': () => list([]), 'GET /v1/reward-specs': () => list([]) });
    page();
    await screen.findByText(/No models yet/);
    const input = screen.getByLabelText('Model archive');
    await userEvent.upload(input, new File(['x'], 'bad.zip'));
    await userEvent.click(screen.getByRole('button', { name: 'Import' }));
    act(() => FakeXhr.last!.respond(422, {
      type: 'https://tropism.dev/problems/validation_failed', title: 'x', status: 422, code: 'validation_failed', detail: 'The request is invalid.',
      errors: [{ pointer: '/file', detail: 'has no config.json at its top level' }],
    }));
    expect(await screen.findByText('has no config.json at its top level')).toHaveClass('field-error');
    expect(input).toHaveAttribute('aria-invalid', 'true');
    expect(screen.queryByRole('progressbar', { name: 'Upload progress' })).toBeNull();
    expect(screen.getByText('Not imported:')).toBeInTheDocument();
  });
});
