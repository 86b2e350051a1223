import { vi } from 'vitest';

type Handler = (url: string, init: RequestInit) => Response | Promise<Response>;

export function json(body: unknown, status = 200, type = 'application/json'): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': type } });
}

export function problem(status: number, code: string, detail: string, errors: { pointer: string; detail: string }[] = []) {
  return json({ type: `https://tropism.dev/problems/${code}`, title: 'x', status, code, detail, errors }, status, 'application/problem+json');
}

export const list = (data: unknown[]) => json({ object: 'list', data, has_more: false });

/** Routes fetch calls by "METHOD path-prefix"; records every call. */
export function mockFetch(routes: Record<string, Handler>) {
  const calls: { method: string; url: string; init: RequestInit }[] = [];
  const fn = vi.fn(async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const url = String(input);
    const method = (init.method ?? 'GET').toUpperCase();
    calls.push({ method, url, init });
    const key = Object.keys(routes)
      .filter((k) => {
        const [m, p] = k.split(' ');
        return m === method && url.startsWith(p);
      })
      .sort((a, b) => b.length - a.length)[0];
    if (!key) return problem(404, 'not_found', `no mock for ${method} ${url}`);
    return routes[key](url, init);
  });
  vi.stubGlobal('fetch', fn);
  return calls;
}
