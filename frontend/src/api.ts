// The public REST API, as the UI uses it: a bearer key from session storage, RFC 9457 problem details
// turned into ApiError (with their per-field `errors`), and server-sent events read with fetch (EventSource
// cannot send an Authorization header, and a key never goes into a URL).

const KEY = 'tropism.apiKey';
const TEAM = 'tropism.team';
/** The header with which the admin key acts for a team (the server's Caller.TEAM_HEADER). */
export const TEAM_HEADER = 'X-Tropism-Team';

export function storedKey(): string | null {
  return sessionStorage.getItem(KEY);
}

/**
 * The team the admin key acts for, or null for a team key (which is its team): only the admin key is stored
 * with a team, so a stored team is what makes this tab the admin's.
 */
export function storedTeam(): string | null {
  return sessionStorage.getItem(TEAM);
}

export function storeKey(key: string | null, team: string | null = null) {
  if (key) sessionStorage.setItem(KEY, key);
  else sessionStorage.removeItem(KEY);
  if (key && team) sessionStorage.setItem(TEAM, team);
  else sessionStorage.removeItem(TEAM);
}

/** One entry of a problem's `errors`: an RFC 6901 pointer into the request and what is wrong there. */
export interface FieldError {
  pointer: string;
  detail: string;
}

/**
 * A failed call: the problem detail's fields (or the OpenAI error's message on the serving endpoints), with the
 * whole problem body in `problem` for its extension members (an alias move's `evaluation`, …).
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly errors: FieldError[] = [],
    readonly problem: Record<string, unknown> = {},
  ) {
    super(message);
  }

  /** detail by pointer, for inline display next to form fields. */
  byPointer(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const e of this.errors) out[e.pointer] = out[e.pointer] ? `${out[e.pointer]}; ${e.detail}` : e.detail;
    return out;
  }
}

/** Called when any request answers 401: the stored key is no longer valid. */
let onUnauthorized: () => void = () => {};
export function setUnauthorizedHandler(handler: () => void) {
  onUnauthorized = handler;
}

function headers(extra?: HeadersInit, key = storedKey(), team = storedTeam()): Headers {
  const h = new Headers(extra);
  if (key) h.set('Authorization', `Bearer ${key}`);
  if (team) h.set(TEAM_HEADER, team);
  return h;
}

async function toError(res: Response): Promise<ApiError> {
  let body: any = null;
  try {
    body = await res.json();
  } catch {
    // not JSON: fall through to the status line
  }
  if (body?.error && typeof body.error === 'object') {
    // OpenAI-shaped errors of the serving endpoints
    const e = body.error;
    const errors = e.param ? [{ pointer: `/${e.param}`, detail: e.message }] : [];
    return new ApiError(res.status, e.code ?? e.type ?? 'error', e.message ?? res.statusText, errors);
  }
  return new ApiError(
    res.status,
    body?.code ?? 'http_' + res.status,
    body?.detail ?? body?.title ?? `${res.status} ${res.statusText}`,
    Array.isArray(body?.errors) ? body.errors : [],
    body && typeof body === 'object' && !Array.isArray(body) ? body : {},
  );
}

export async function request<T>(method: string, path: string, body?: unknown, init: RequestInit = {}): Promise<T> {
  const isForm = body instanceof FormData;
  const res = await fetch(path, {
    ...init,
    method,
    headers: headers(body === undefined || isForm ? init.headers : { 'Content-Type': 'application/json', ...init.headers }),
    body: body === undefined ? undefined : isForm ? body : JSON.stringify(body),
  });
  if (!res.ok) {
    const err = await toError(res);
    if (res.status === 401) onUnauthorized();
    throw err;
  }
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

/**
 * POSTs a multipart form with XMLHttpRequest, whose `upload.onprogress` reports the bytes sent (fetch has no
 * upload progress); `onProgress(sent, total)`. Resolves with the JSON answer; rejects with ApiError as
 * `request` does, or a plain Error when the connection fails.
 */
export function upload<T>(path: string, form: FormData, onProgress: (sent: number, total: number) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', path);
    headers().forEach((value, name) => xhr.setRequestHeader(name, value));
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress(e.loaded, e.total);
    };
    xhr.onerror = () => reject(new Error('The upload failed: the connection was lost.'));
    xhr.onabort = () => reject(new Error('The upload was aborted.'));
    xhr.onload = async () => {
      const type = xhr.getResponseHeader('Content-Type') ?? 'application/json';
      // the answer as a Response, so that problem details are read exactly as request() reads them
      const res = new Response(xhr.status === 204 ? null : xhr.responseText, { status: xhr.status, statusText: xhr.statusText, headers: { 'Content-Type': type } });
      if (!res.ok) {
        const err = await toError(res);
        if (res.status === 401) onUnauthorized();
        reject(err);
        return;
      }
      try {
        resolve((res.status === 204 ? undefined : await res.json()) as T);
      } catch (e) {
        reject(e);
      }
    };
    xhr.send(form);
  });
}

export const api = {
  get: <T>(path: string, init?: RequestInit) => request<T>('GET', path, undefined, init),
  post: <T>(path: string, body?: unknown) => request<T>('POST', path, body ?? {}),
  put: <T>(path: string, body: unknown) => request<T>('PUT', path, body),
  del: (path: string) => request<void>('DELETE', path),
};

/**
 * Checks a key without storing it: a team key lists its jobs, and so does the admin key acting for `team`.
 * The admin key alone answers team_required; it is then asked for the teams it can act for. Resolves with
 * null when the key (and team) can sign in, or with those teams when the admin key must choose one first.
 */
export async function checkKey(key: string, team: string | null = null): Promise<Team[] | null> {
  // GET /v1/me needs no scope, so a narrowly scoped key (a CI key that can only run evaluations) signs in too.
  const res = await fetch('/v1/me', { headers: headers(undefined, key, team) });
  if (!res.ok) throw await toError(res);
  const me = (await res.json()) as { team_id: string | null; admin: boolean };
  if (me.team_id !== null || !me.admin) return null;
  const teams = await fetch('/v1/teams?limit=100', { headers: headers(undefined, key, null) });
  if (!teams.ok) throw await toError(teams);
  return ((await teams.json()) as ListResponse<Team>).data;
}

/** A body fetched with the key, as an object URL (for images behind auth). */
export async function blobUrl(path: string, signal?: AbortSignal): Promise<string> {
  const res = await fetch(path, { headers: headers(), signal });
  if (!res.ok) throw await toError(res);
  return URL.createObjectURL(await res.blob());
}

/** The file name of a `Content-Disposition` header (`filename*=UTF-8''…` preferred over `filename="…"`), or null. */
export function attachmentName(disposition: string | null): string | null {
  if (!disposition) return null;
  const star = /filename\*\s*=\s*([^']*)'[^']*'([^;]+)/i.exec(disposition);
  if (star) {
    try {
      return decodeURIComponent(star[2].trim());
    } catch {
      // malformed percent-encoding: fall back to the plain parameter
    }
  }
  const plain = /filename\s*=\s*("((?:[^"\\]|\\.)*)"|[^;\s]+)/i.exec(disposition);
  if (!plain) return null;
  return plain[2] !== undefined ? plain[2].replace(/\\(.)/g, '$1') : plain[1];
}

/**
 * Downloads `path` with the key as a file: the body is fetched (an `<a href>` cannot send the Authorization
 * header, and a key never goes into a URL), held as a blob and saved through an object URL under the name of
 * its `Content-Disposition` (else `fallbackName`). The whole file passes through the tab's memory. Resolves
 * with the name and size once the browser has been handed the file.
 */
export async function download(path: string, fallbackName: string, signal?: AbortSignal): Promise<{ name: string; size: number }> {
  const res = await fetch(path, { headers: headers(), signal });
  if (!res.ok) {
    const err = await toError(res);
    if (res.status === 401) onUnauthorized();
    throw err;
  }
  const blob = await res.blob();
  const name = attachmentName(res.headers.get('Content-Disposition')) ?? fallbackName;
  const url = URL.createObjectURL(blob);
  try {
    const a = document.createElement('a');
    a.href = url;
    a.download = name;
    a.style.display = 'none';
    document.body.appendChild(a);
    a.click();
    a.remove();
  } finally {
    // the browser reads the blob after the click's task: revoke it well after (as FileSaver.js does)
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  }
  return { name, size: blob.size };
}

export interface SseMessage {
  event: string;
  data: string;
  id?: string;
}

/** Splits a server-sent-events text stream into messages; returns the unfinished rest. */
export function parseSse(buffer: string, emit: (m: SseMessage) => void): string {
  const blocks = buffer.replace(/\r\n/g, '\n').split('\n\n');
  const rest = blocks.pop() ?? '';
  for (const block of blocks) {
    let event = 'message';
    let id: string | undefined;
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
      else if (field === 'id') id = value;
    }
    if (data.length) emit({ event, data: data.join('\n'), id });
  }
  return rest;
}

/**
 * Follows an SSE endpoint with fetch until the server ends it or `signal` aborts. Resolves when the
 * stream ends; rejects with ApiError when the request is refused.
 */
export async function followSse(path: string, onMessage: (m: SseMessage) => void, signal: AbortSignal): Promise<void> {
  const res = await fetch(path, { headers: headers({ Accept: 'text/event-stream' }), signal });
  if (!res.ok || !res.body) {
    const err = await toError(res);
    if (res.status === 401) onUnauthorized();
    throw err;
  }
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer = parseSse(buffer + value, onMessage);
  }
  parseSse(buffer + '\n\n', onMessage);
}

/** The first `n` lines of an NDJSON body, reading no more of it than needed. */
export async function firstLines(path: string, n: number, signal?: AbortSignal): Promise<string[]> {
  const controller = new AbortController();
  signal?.addEventListener('abort', () => controller.abort());
  const res = await fetch(path, { headers: headers(), signal: controller.signal });
  if (!res.ok || !res.body) throw await toError(res);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let text = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
    if (text.split('\n').length > n) break;
  }
  controller.abort();
  return text.split('\n').filter((l) => l.trim() !== '').slice(0, n);
}

// ---- Resource shapes (snake_case, as the API sends them) ----

export interface ListResponse<T> {
  object: 'list';
  data: T[];
  has_more: boolean;
}

export type JobStatus = 'validating' | 'queued' | 'running' | 'paused' | 'succeeded' | 'failed' | 'cancelled';
export const JOB_STATUSES: JobStatus[] = ['queued', 'running', 'paused', 'succeeded', 'failed', 'cancelled'];
export const TERMINAL: JobStatus[] = ['succeeded', 'failed', 'cancelled'];

/** What a job asked for at creation; each field optional (null: any). */
export interface JobResources {
  device?: Device | null;
  pool?: string | null;
  min_gpu_memory_gb?: number | null;
}

export interface Job {
  id: string;
  status: JobStatus;
  model: string;
  dataset: string;
  eval_dataset: string | null;
  reward_spec: string | null;
  eval_reward_spec: string | null;
  /** The alias the reward spec was given as (resolved to `reward_spec` at submission), or null. */
  reward_spec_alias?: string | null;
  eval_reward_spec_alias?: string | null;
  method: { type: string; [k: string]: unknown };
  seed: number;
  suffix: string | null;
  error: { code: string; message: string } | null;
  result_model: string | null;
  current_step: number;
  total_steps: number | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  resources: JobResources | null;
  /** The worker it runs on, or last ran on. */
  worker: { id: string; name: string } | null;
  /** Why a queued job waits (no live worker matches its resources, or every match is busy). */
  wait_reason: string | null;
  /** How many times its worker was lost since its last checkpoint. */
  attempts: number;
  /** What it has cost so far and was estimated to cost (absent from servers before spend accounting). */
  spend?: JobSpend | null;
  /** Its spend cap; null or absent: none. */
  budget?: { max_spend: number | null } | null;
}

/** A job's spend: `amount` in `currency` for `device_seconds` of device time; `estimate` made before it started. */
export interface JobSpend {
  amount: number;
  device_seconds: number;
  estimate: number | null;
  /** How the estimate was made (comparable runs, or a FLOP estimate), as the server words it. */
  estimate_basis: string | null;
  currency: string;
}

/** A hyperparameter's value in a comparison: the job's method flattened to dotted keys (`grpo.beta`). */
export type HyperValue = number | boolean | string | null;

/** One point of a compared metric; `elapsed_seconds` is the job's training time up to that step (null when unrecorded). */
export interface ComparePoint {
  step: number;
  value: number;
  elapsed_seconds: number | null;
}

/** A job as GET /v1/jobs/compare summarises it. */
export interface ComparedJob {
  id: string;
  status: JobStatus;
  method_type: string;
  model: string;
  seed: number;
  /** Not in the comparison's contract (yet): shown when the server sends it. */
  suffix?: string | null;
  current_step: number;
  total_steps: number | null;
  created_at: string;
  finished_at: string | null;
  hyperparameters: Record<string, HyperValue>;
}

/** GET /v1/jobs/compare?ids=…&names=…: 2 to 10 jobs side by side. */
export interface JobComparison {
  object: 'job_comparison';
  jobs: ComparedJob[];
  /** Only the keys whose values differ between the jobs, by job id (null: the job lacks the key). */
  differences: Record<string, Record<string, HyperValue>>;
  /** metrics[name][job id]: points in step order. */
  metrics: Record<string, Record<string, ComparePoint[]>>;
  /** Every metric name the jobs have, sorted (for the picker), whatever `names` asked for. */
  metric_names: string[];
}

export interface JobEvent {
  id: string;
  created_at: string;
  level: string;
  type: string;
  message: string;
  data: Record<string, unknown> | null;
}

export interface Checkpoint {
  id: string;
  step: number;
  created_at: string;
  metrics: Record<string, number> | null;
  object_prefix: string;
}

export interface Model {
  id: string;
  name: string;
  family: string;
  recipe: string;
  status: string;
  parent: string | null;
  job: string | null;
  checkpoint: string | null;
  parameters: number | null;
  /** The class names an image model (flow-matching, image-classifier) is prompted with; null for the others. */
  classes?: string[] | null;
  /** An imported HuggingFace model's import (recipe `import`); null for the others. */
  import?: ModelImport | null;
  /** The team's aliases that point at it now (reward models; absent from servers before aliases). */
  aliases?: string[];
  created_at: string;
}

/** What an import read from a HuggingFace directory's headers and tokenizer files. */
export interface ModelCard {
  architecture: string;
  parameters: number;
  vocab_size: number;
  context_length: number;
  dtype: string;
  /** tokenizer.json's model type, lower-cased: bpe, unigram, wordpiece, … */
  tokenizer: string;
  /** tokenizer_config.json's Jinja chat template, or null when it has none. */
  chat_template: string | null;
  /** What was verified, one line each. */
  checks: string[];
}

export interface ModelImport {
  source: 'upload' | 'path';
  card: ModelCard | null;
  /** Why the import failed (status `failed`). */
  error: string | null;
  /** How far the copy into object storage has got. */
  progress?: ImportProgress | null;
  created_at: string;
  finished_at: string | null;
}

/** The background copy of an import's files into object storage. */
export interface ImportProgress {
  bytes_copied: number;
  bytes_total: number;
  /** bytes_copied / bytes_total, 0 to 1. */
  fraction: number;
}

/** Families that generate (the playground) and can be aligned; reward models and image classifiers only score. */
export const PLAYABLE = ['language-model', 'flow-matching'];

export interface Team {
  id: string;
  name: string;
  created_at: string;
}

export type Device = 'cpu' | 'cuda';
export const DEVICES: Device[] = ['cpu', 'cuda'];

/** What a worker announces: `gpu_*` are null on CPU nodes. */
export interface WorkerLabels {
  device: Device;
  gpu_model: string | null;
  gpu_memory_gb: number | null;
  ram_gb: number;
  pool: string;
}

/** A training node (GET /v1/workers, admin only). */
export interface Worker {
  id: string;
  object: 'worker';
  name: string;
  /** `all`: a single process that serves the API and also trains. */
  role: 'worker' | 'all';
  /** `lost`: it missed its heartbeats and its jobs were requeued; `stopped`: it shut down cleanly. */
  state: 'active' | 'draining' | 'lost' | 'stopped';
  labels: WorkerLabels;
  /** How many jobs it runs at once. */
  capacity: number;
  running_jobs: string[];
  started_at: string;
  heartbeat_at: string;
  /** Measured by the server, so the tab's clock does not enter into it. */
  heartbeat_age_seconds: number;
}

export interface Dataset {
  id: string;
  name: string;
  purpose: 'corpus' | 'prompts' | 'preferences' | 'sft';
  lines: number;
  fields: string[];
  size_bytes: number;
  created_at: string;
}

export interface RewardSpec {
  id: string;
  name: string;
  grader: Record<string, unknown>;
  item_fields: string[];
  /** The team's aliases that point at it now (absent from servers before aliases). */
  aliases?: string[];
  created_at: string;
}

export interface RewardResult {
  reward: number;
  sub_rewards: Record<string, number>;
  errors: { kind: string; message: string }[];
}

export interface Histogram {
  bin_edges: number[];
  counts: number[];
}

export interface Distribution {
  count: number;
  mean: number;
  std: number;
  min: number;
  max: number;
  histogram: Histogram;
}

export interface DryRun {
  id: string;
  status: string;
  model: string;
  dataset: string;
  error: { code: string; message: string } | null;
  report: {
    prompts: number;
    samples: number;
    reward: Distribution;
    components: Record<string, Distribution>;
    zero_variance_group_fraction: number;
    errors_by_kind: Record<string, number>;
    completions: { mean_tokens: number; truncated_fraction: number };
    examples: Record<'low' | 'median' | 'high', { item: Record<string, unknown>; output: string; reward: number }[]>;
    warnings?: { code: string; message: string; cures: string[] }[];
  } | null;
  created_at: string;
}

export interface Hyperparameter {
  key: string;
  type: 'integer' | 'number' | 'boolean' | 'enum';
  default: number | boolean | string;
  values: string[] | null;
  description: string | null;
}

export interface Method {
  type: string;
  dataset_purpose: string;
  uses_reward_spec: boolean;
  /** The family the job's model must have. */
  required_family: string;
  produces: string;
  hyperparameters: Hyperparameter[];
}

export interface Sample {
  step: number;
  url: string;
  created_at: string;
}

// ---- Evaluations, suites and aliases (issue 16) ----

/** The flat metric names of a report's `deltas` and of `thresholds.max_regression`. */
export const EVAL_METRICS = ['pairwise_accuracy', 'ece', 'gold_spearman', 'gold_kendall', 'overoptimization', 'p95_latency_ms'] as const;
export type EvalMetric = (typeof EVAL_METRICS)[number];

/** A suite's thresholds; each optional. `max_regression`: per metric, how much worse than the baseline is allowed. */
export interface EvalThresholds {
  min_pairwise_accuracy?: number | null;
  max_ece?: number | null;
  min_gold_correlation?: number | null;
  max_overoptimization?: number | null;
  max_p95_latency_ms?: number | null;
  max_regression?: Partial<Record<EvalMetric, number>> | null;
}

/** One version of an evaluation suite (POST /v1/eval-suites makes the next version of a name). */
export interface EvalSuite {
  id: string;
  name: string;
  version: number;
  description: string | null;
  preferences: string | null;
  prompts: string | null;
  gold_reward_spec: string | null;
  policy: string | null;
  n_samples: number;
  max_prompts: number;
  max_new_tokens: number | null;
  temperature: number | null;
  top_p: number | null;
  seed: number | null;
  thresholds: EvalThresholds;
  baseline: string | null;
  created_at: string;
}

export type EvalStatus = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';
export const EVAL_STATUSES: EvalStatus[] = ['queued', 'running', 'completed', 'failed', 'cancelled'];
/** The statuses in which an evaluation can still change (and be cancelled). */
export const EVAL_ACTIVE: EvalStatus[] = ['queued', 'running'];

/** What an evaluation measures: the reference as given, what it resolved to, and the alias it went through. */
export interface EvalSubject {
  ref: string;
  kind: 'reward_spec' | 'reward_model';
  id: string;
  alias: string | null;
}

export interface FailedThreshold {
  name: string;
  threshold: number | null;
  value: number | null;
  detail: string | null;
}

export interface Evaluation {
  id: string;
  suite: string;
  suite_name: string;
  suite_version: number;
  candidate: EvalSubject;
  baseline: EvalSubject | null;
  status: EvalStatus;
  verdict: 'passed' | 'failed' | null;
  failed_thresholds: FailedThreshold[];
  progress: { phase: string | null; done: number; total: number } | null;
  error: { code: string; message: string } | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
}

/** The best-of-N probe: for each N, the proxy (candidate) and gold reward of the candidate's pick. */
export interface Overoptimization {
  n: number[];
  proxy: number[];
  gold: number[];
  /** The N where gold is highest. */
  gold_peak_n: number;
  /** max(gold) − gold(N_max) ≥ 0: what `max_overoptimization` bounds (the flat metric `overoptimization`). */
  drop: number;
  /** The proxy's rise minus the gold's rise from N = 1 to N_max, each in standard deviations of its scores. */
  proxy_gold_gap: number;
}

export interface EvalMetrics {
  pairwise: { accuracy: number; ci_low: number; ci_high: number; pairs: number; ties: number } | null;
  ece: number | null;
  /** Spearman and Kendall are null when undefined (fewer than 2 samples, constant scores), with the reason. */
  gold: { spearman: number | null; kendall: number | null; samples: number; undefined_reason?: string } | null;
  overoptimization: Overoptimization | null;
  latency_ms: { p50: number | null; p95: number | null; samples: number } | null;
  errors: Record<string, number> | null;
}

export interface EvalCheck {
  name: string;
  threshold: number | null;
  value: number | null;
  passed: boolean;
  detail: string | null;
}

/** GET /v1/evaluations/{id}/report?format=json. */
export interface EvalReport {
  evaluation: string;
  suite: { id: string; name: string; version: number };
  verdict: 'passed' | 'failed' | null;
  checks: EvalCheck[];
  candidate: EvalMetrics;
  baseline: EvalMetrics | null;
  deltas: Partial<Record<EvalMetric, number | null>>;
}

/** A named pointer at a reward spec or a reward model (`helpfulness@production`). */
export interface Alias {
  name: string;
  target: string;
  kind: 'reward_spec' | 'reward_model';
  updated_at: string;
  updated_by: string | null;
  created_at?: string;
  /** The evaluation that allowed its last move, when it required one. */
  evaluation: string | null;
}

export interface AliasMove {
  /** null for a deletion. */
  target: string | null;
  previous: string | null;
  moved_at: string;
  moved_by: string | null;
  evaluation: string | null;
  suite: string | null;
}

export interface AliasDetail extends Alias {
  history: AliasMove[];
}

/** The path of an alias: its name percent-encoded, but for the `@` that paths may hold as it is. */
export const aliasPath = (name: string) => `/v1/aliases/${encodeURIComponent(name).replace(/%40/g, '@')}`;

/** Every page of a list endpoint (the API pages at most 100 at a time). */
export function listAll<T extends { id: string }>(path: string, max = 500): Promise<T[]> {
  return listAllBy<T>(path, (t) => t.id, max);
}

/** Every page of a list endpoint whose `after` cursor is `cursor` of the last item (an alias's name, …). */
export async function listAllBy<T>(path: string, cursor: (item: T) => string, max = 500, signal?: AbortSignal): Promise<T[]> {
  const out: T[] = [];
  let after: string | undefined;
  const sep = path.includes('?') ? '&' : '?';
  for (;;) {
    const page = await api.get<ListResponse<T>>(`${path}${sep}limit=100${after ? `&after=${encodeURIComponent(after)}` : ''}`, { signal });
    out.push(...page.data);
    if (!page.has_more || out.length >= max || page.data.length === 0) return out;
    after = cursor(page.data[page.data.length - 1]);
  }
}

// ---- Keys, scopes, budgets and quotas (issue 17) ----

/** The scopes a team key may hold (the server's Scope.TEAM_SCOPES), in its order. */
export const TEAM_SCOPES = [
  'datasets:read', 'datasets:write', 'reward-specs:read', 'reward-specs:write', 'models:read', 'models:write',
  'jobs:read', 'jobs:write', 'inference', 'evaluations:read', 'evaluations:write', 'webhooks:read', 'webhooks:write',
  'usage:read', 'team:admin',
] as const;
export type TeamScope = (typeof TEAM_SCOPES)[number];
/** What a key created without `scopes` holds (the server's Scope.DEFAULT_SCOPES): every team scope but team:admin. */
export const DEFAULT_SCOPES: string[] = TEAM_SCOPES.filter((s) => s !== 'team:admin');

/**
 * Whether a key holding `held` may call an operation that needs `scope`: the admin key always; else held directly
 * or as the `:write` scope of the same resource (the server's Scope.grantedBy).
 */
export function grants(me: Pick<Me, 'admin' | 'scopes'>, scope: string): boolean {
  if (me.admin || scope === 'authenticated') return true;
  if (scope === 'operator') return false;
  if (me.scopes.includes(scope)) return true;
  return scope.endsWith(':read') && me.scopes.includes(`${scope.slice(0, -':read'.length)}:write`);
}

/** GET /v1/me: who this key is. `team_id` is null for the admin key acting for no team. */
export interface Me {
  team_id: string | null;
  key_id: string | null;
  admin: boolean;
  scopes: string[];
  expires_at: string | null;
}

/** A team's key as GET /v1/teams/{id}/api-keys lists it: never its secret. */
export interface ApiKey {
  id: string;
  name: string;
  /** The first characters of the secret, to recognise it by. */
  prefix: string;
  scopes: string[];
  created_at: string;
  last_used_at: string | null;
  expires_at: string | null;
  revoked_at: string | null;
  /** The key id that created it, or `admin`. */
  created_by: string | null;
}

/** POST /v1/teams/{id}/api-keys: the new key, with its secret `key` shown this once. */
export interface CreatedApiKey {
  id: string;
  name: string;
  key: string;
  prefix: string;
  scopes: string[];
  created_at: string;
  expires_at: string | null;
}

/** GET /v1/teams/{id}/budget: this calendar month's (UTC) spend against the team's limit. */
export interface TeamBudget {
  /** `2026-12`. */
  month: string;
  currency: string;
  monthly_limit: number | null;
  /** The fraction of the limit (0 to 1) at which the team is alerted. */
  alert_threshold: number | null;
  spend_this_month: number;
  remaining: number | null;
  /** Whether this month's alert was given. */
  alerted: boolean;
}

/** GET /v1/teams/{id}/quotas: null limits are unlimited. */
export interface TeamQuotas {
  max_concurrent_jobs: number | null;
  max_stored_bytes: number | null;
  used: { concurrent_jobs: number; stored_bytes: number };
}

/** One day of a job's training on a model, in GET /v1/usage `training`. */
export interface TrainingUsage {
  date: string;
  model: string;
  job: string;
  device_seconds: number;
  spend: number;
}

/** GET /v1/usage: serving in `data`, training beside it, and the totals. */
export interface Usage {
  object: 'list';
  data: { date: string; model: string; requests: number; prompt_tokens: number; completion_tokens: number; images: number; spend?: number }[];
  training?: TrainingUsage[];
  totals?: { serving_spend: number; training_spend: number; currency: string };
}

/** An amount of money in `currency` (an ISO 4217 code): cents, or four decimals below one unit. */
export function money(amount: number | null | undefined, currency = 'USD'): string {
  if (amount === null || amount === undefined || Number.isNaN(amount)) return '—';
  const digits = amount !== 0 && Math.abs(amount) < 1 ? 4 : 2;
  try {
    return new Intl.NumberFormat('en-US', { style: 'currency', currency, minimumFractionDigits: 2, maximumFractionDigits: digits }).format(amount);
  } catch {
    // not an ISO code the runtime knows
    return `${amount.toFixed(digits)} ${currency}`;
  }
}
