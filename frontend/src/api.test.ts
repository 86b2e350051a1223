import { afterEach, describe, expect, it, vi } from 'vitest';
import { api, ApiError, attachmentName, checkKey, listAllBy, parseSse, storeKey, type SseMessage } from './api';
import { mockFetch, problem, json } from './test-fetch';

afterEach(() => vi.unstubAllGlobals());

describe('parseSse', () => {
  it('splits events, joins data lines and keeps the unfinished rest', () => {
    const got: SseMessage[] = [];
    const rest = parseSse('id:3\nevent:metrics\ndata:{"step":3}\n\n:comment\n\nevent:x\ndata:a\ndata:b\n\nevent:metr', (m) => got.push(m));
    expect(got).toEqual([
      { event: 'metrics', data: '{"step":3}', id: '3' },
      { event: 'x', data: 'a\nb', id: undefined },
    ]);
    expect(rest).toBe('event:metr');
  });

  it('handles CRLF and a space after the colon', () => {
    const got: SseMessage[] = [];
    parseSse('event: job.queued\r\ndata: {}\r\n\r\n', (m) => got.push(m));
    expect(got).toEqual([{ event: 'job.queued', data: '{}', id: undefined }]);
  });
});

describe('attachmentName', () => {
  it('reads the file name of a Content-Disposition, preferring filename*', () => {
    expect(attachmentName('attachment; filename="tiny-gpt2-hf.tar"')).toBe('tiny-gpt2-hf.tar');
    expect(attachmentName('attachment; filename=plain.tar')).toBe('plain.tar');
    expect(attachmentName('attachment; filename="a \\"q\\".tar"')).toBe('a "q".tar');
    expect(attachmentName("attachment; filename=\"x.tar\"; filename*=UTF-8''mod%C3%A8le-hf.tar")).toBe('modèle-hf.tar');
    expect(attachmentName('attachment')).toBeNull();
    expect(attachmentName(null)).toBeNull();
  });
});

describe('request', () => {
  it('sends the stored key as a bearer token and parses JSON', async () => {
    storeKey('tro_abc');
    const calls = mockFetch({ 'GET /v1/jobs/job_1': () => json({ id: 'job_1' }) });
    expect(await api.get('/v1/jobs/job_1')).toEqual({ id: 'job_1' });
    expect(new Headers(calls[0].init.headers).get('Authorization')).toBe('Bearer tro_abc');
  });

  it('turns a problem detail into an ApiError with its field errors by pointer', async () => {
    mockFetch({
      'POST /v1/jobs': () =>
        problem(422, 'validation_failed', 'Request is invalid', [
          { pointer: '/method/grpo/beta', detail: 'must be ≥ 0' },
          { pointer: '/model', detail: 'not found' },
        ]),
    });
    const err = (await api.post('/v1/jobs', {}).catch((e) => e)) as ApiError;
    expect(err).toBeInstanceOf(ApiError);
    expect(err.status).toBe(422);
    expect(err.code).toBe('validation_failed');
    expect(err.byPointer()).toEqual({ '/method/grpo/beta': 'must be ≥ 0', '/model': 'not found' });
  });

  it('maps an OpenAI-shaped error to its param', async () => {
    mockFetch({ 'POST /v1/completions': () => json({ error: { message: 'no such model', type: 'invalid_request_error', param: 'model', code: 'model_not_found' } }, 404) });
    const err = (await api.post('/v1/completions', {}).catch((e) => e)) as ApiError;
    expect(err.code).toBe('model_not_found');
    expect(err.byPointer()).toEqual({ '/model': 'no such model' });
  });

  it('answers the teams the admin key can act for, and checks it again with the chosen one as X-Tropism-Team', async () => {
    const calls = mockFetch({
      'GET /v1/me': (_url, init) => json({ team_id: new Headers(init.headers).get('X-Tropism-Team'), key_id: 'admin', admin: true, scopes: [], expires_at: null }),
      'GET /v1/teams': () => json({ object: 'list', data: [{ id: 'team_1', name: 'research', created_at: '' }], has_more: false }),
    });
    expect(await checkKey('admin')).toEqual([{ id: 'team_1', name: 'research', created_at: '' }]);
    expect(await checkKey('admin', 'team_1')).toBeNull();
    expect(new Headers(calls[2].init.headers).get('Authorization')).toBe('Bearer admin');
  });

  it('sends the stored team with every request of the admin key, and none for a team key', async () => {
    const calls = mockFetch({ 'GET /v1/workers': () => json({ object: 'list', data: [], has_more: false }) });
    storeKey('admin', 'team_1');
    await api.get('/v1/workers');
    storeKey('tro_abc');
    await api.get('/v1/workers');
    expect(calls.map((c) => new Headers(c.init.headers).get('X-Tropism-Team'))).toEqual(['team_1', null]);
  });

  it('passes on any other refusal of a key', async () => {
    mockFetch({ 'GET /v1/me': () => problem(401, 'unauthorized', 'The API key is not valid.') });
    await expect(checkKey('nope')).rejects.toThrow('The API key is not valid.');
  });

  it('signs in a team key whatever its scopes, without asking for the teams', async () => {
    const calls = mockFetch({ 'GET /v1/me': () => json({ team_id: 'team_2', key_id: 'key_1', admin: false, scopes: ['evaluations:write'], expires_at: null }) });
    expect(await checkKey('tro_ci')).toBeNull();
    expect(calls.map((c) => c.url)).toEqual(['/v1/me']);
  });
});

describe('listAllBy', () => {
  it('pages with the cursor of the last item, here an alias name', async () => {
    storeKey('tro_k');
    const calls = mockFetch({
      'GET /v1/aliases?limit=100&after=': () => json({ object: 'list', data: [{ name: 'c' }], has_more: false }),
      'GET /v1/aliases?limit=100': () => json({ object: 'list', data: [{ name: 'a' }, { name: 'b@prod' }], has_more: true }),
    });
    expect(await listAllBy<{ name: string }>('/v1/aliases', (a) => a.name)).toEqual([{ name: 'a' }, { name: 'b@prod' }, { name: 'c' }]);
    expect(calls.map((c) => c.url)).toEqual(['/v1/aliases?limit=100', '/v1/aliases?limit=100&after=b%40prod']);
  });
});
