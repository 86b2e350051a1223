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

/** A stand-in XMLHttpRequest (for uploads with progress): the test drives `progress` and `respond`. */
export class FakeXhr {
  static last: FakeXhr | null = null;
  method = '';
  url = '';
  headers: Record<string, string> = {};
  body: unknown = null;
  status = 0;
  statusText = '';
  responseText = '';
  private type = 'application/json';
  upload: { onprogress: ((e: { lengthComputable: boolean; loaded: number; total: number }) => void) | null } = { onprogress: null };
  onload: (() => void) | null = null;
  onerror: (() => void) | null = null;
  onabort: (() => void) | null = null;
  constructor() {
    FakeXhr.last = this;
  }
  open(method: string, url: string) {
    this.method = method;
    this.url = url;
  }
  setRequestHeader(name: string, value: string) {
    this.headers[name.toLowerCase()] = value;
  }
  send(body: unknown) {
    this.body = body;
  }
  getResponseHeader(name: string) {
    return name.toLowerCase() === 'content-type' ? this.type : null;
  }
  progress(loaded: number, total: number) {
    this.upload.onprogress?.({ lengthComputable: true, loaded, total });
  }
  respond(status: number, body: unknown, type = status >= 400 ? 'application/problem+json' : 'application/json') {
    this.status = status;
    this.responseText = JSON.stringify(body);
    this.type = type;
    this.onload?.();
  }
}

export function mockXhr() {
  FakeXhr.last = null;
  vi.stubGlobal('XMLHttpRequest', FakeXhr);
}
