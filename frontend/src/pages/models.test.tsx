import { afterEach, describe, expect, it, vi } from 'vitest';
import { act, render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { MemoryRouter } from 'react-router-dom';
import { AuthProvider } from '../auth';
import { formatCount, Models } from './Models';
import { storeKey, type Model, type ModelCard } from '../api';
import { FakeXhr, json, list, mockFetch, mockXhr, problem } from '../test-fetch';

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
        { ...imported('model_busy', 'qwen', 'importing', { ...CARD, architecture: 'qwen2', chat_template: null }),
          import: { source: 'upload', card: { ...CARD, architecture: 'qwen2', chat_template: null }, error: null,
            progress: { bytes_copied: 3 * 1024 ** 2, bytes_total: 12 * 1024 ** 2, fraction: 0.25 },
            created_at: '2026-01-01T00:00:00Z', finished_at: null } } as Model,
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
    // ready: served and trained like the others, and exported
    expect(screen.getByRole('link', { name: 'Align smol' })).toHaveAttribute('href', '/jobs/new?model=model_ok');
    expect(screen.getByRole('link', { name: 'Open smol in the playground' })).toHaveAttribute('href', '/playground?right=model_ok');
    expect(screen.getByRole('button', { name: 'Export smol (HF)' })).toHaveTextContent('Export (HF)');
    // not while importing, nor when the import failed
    for (const name of ['qwen', 'broken']) {
      expect(screen.queryByRole('link', { name: `Align ${name}` })).toBeNull();
      expect(screen.queryByRole('link', { name: `Open ${name} in the playground` })).toBeNull();
      expect(screen.queryByRole('button', { name: `Export ${name} (HF)` })).toBeNull();
    }

    const busy = screen.getByRole('group', { name: 'Model card of qwen' });
    expect(within(busy).getByRole('status')).toHaveTextContent('Importing: copying the files into storage… 25% (3.0 MiB of 12.0 MiB)');
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

describe('Models: export as a HuggingFace directory', () => {
  const other = (id: string, name: string, family: string, recipe: string) => ({
    id, name, family, recipe, status: 'ready', parent: null, job: null, checkpoint: null, parameters: 1000, import: null,
    created_at: '2026-01-01T00:00:00Z',
  }) as Model;

  function stubDownloads() {
    const clicked: { href: string; download: string }[] = [];
    // jsdom has no object URLs
    Object.assign(URL, { createObjectURL: vi.fn((b: Blob) => `blob:test/${b.size}`), revokeObjectURL: vi.fn() });
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      clicked.push({ href: this.getAttribute('href')!, download: this.download });
    });
    return clicked;
  }
  afterEach(() => vi.restoreAllMocks());

  it('offers it on ready language models only, and saves the tar under the server\'s name with the key sent', async () => {
    storeKey('tro_k');
    const clicked = stubDownloads();
    const calls = mockFetch({
      'GET /v1/models?': () => list([imported('model_ok', 'smol', 'ready', CARD), other('model_tg', 'base', 'language-model', 'tiny-gpt'),
        other('model_fl', 'shoes', 'flow-matching', 'tiny-flow'), other('model_rm', 'judge', 'reward-model', 'tiny-gpt')]),
      'GET /v1/models/model_ok/export': () => new Response(new Uint8Array(3072), { status: 200, headers: {
        'Content-Type': 'application/x-tar', 'Content-Disposition': 'attachment; filename="smol-hf.tar"' } }),
      'GET /v1/datasets': () => list([]),
      'GET /v1/reward-specs': () => list([]),
    });
    page();
    const button = await screen.findByRole('button', { name: 'Export smol (HF)' });
    // a tiny-gpt exports too (as gpt2); flow and reward models have no HF form
    expect(screen.getByRole('button', { name: 'Export base (HF)' })).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Export shoes (HF)' })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Export judge (HF)' })).toBeNull();

    await userEvent.click(button);
    expect(await screen.findByText(/saved smol-hf\.tar/)).toHaveTextContent('saved smol-hf.tar (3.0 KiB)');
    const call = calls.find((c) => c.url.startsWith('/v1/models/model_ok/export'))!;
    expect(call.url).toBe('/v1/models/model_ok/export?format=hf');
    expect(new Headers(call.init.headers).get('Authorization')).toBe('Bearer tro_k');
    expect(clicked).toEqual([{ href: 'blob:test/3072', download: 'smol-hf.tar' }]);
    // the link is not left in the page
    expect(document.querySelector('a[download]')).toBeNull();
  });

  it('says why an export was refused', async () => {
    storeKey('tro_k');
    const clicked = stubDownloads();
    mockFetch({
      'GET /v1/models?': () => list([other('model_tg', 'base', 'language-model', 'tiny-gpt')]),
      'GET /v1/models/model_tg/export': () => problem(409, 'model_not_ready', 'Model model_tg is not ready.'),
      'GET /v1/datasets': () => list([]),
      'GET /v1/reward-specs': () => list([]),
    });
    page();
    await userEvent.click(await screen.findByRole('button', { name: 'Export base (HF)' }));
    expect(await screen.findByText(/Export failed/)).toHaveTextContent('Export failed: Model model_tg is not ready. (model_not_ready)');
    expect(clicked).toEqual([]);
  });
});
