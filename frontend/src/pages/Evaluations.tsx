import { useState, type FormEvent, type ReactNode } from 'react';
import { Link, NavLink, useNavigate, useParams, useSearchParams } from 'react-router-dom';
import {
  api, ApiError, EVAL_ACTIVE, EVAL_METRICS, EVAL_STATUSES, listAll,
  type Dataset, type EvalMetric, type EvalSubject, type EvalSuite, type EvalThresholds, type Evaluation, type Hyperparameter, type Model,
} from '../api';
import { age, Empty, ErrorBox, Field, fmt, Loading, StatusBadge, useAction, useAsync } from '../components/ui';
import { AliasesPanel, RewardRefSelect, useRewardRefs } from './Aliases';
import { parseValue, unplaced } from './LaunchJob';

/** How often the runs list refreshes while one of its runs is queued or running. */
export const RUNS_REFRESH_MS = 3000;

/** The single-number thresholds of a suite, in the order the form and the views show them. */
export const THRESHOLDS: { key: Exclude<keyof EvalThresholds, 'max_regression'>; label: string; help: string }[] = [
  { key: 'min_pairwise_accuracy', label: 'Min pairwise accuracy', help: 'Share of held-out pairs the candidate orders as people did (0 to 1).' },
  { key: 'max_ece', label: 'Max ECE', help: 'Calibration error of a reward model\'s pair probabilities (0 to 1; reward specs have none).' },
  { key: 'min_gold_correlation', label: 'Min gold correlation', help: 'Spearman between the candidate and the gold judge on the policy\'s samples.' },
  { key: 'max_overoptimization', label: 'Max over-optimization', help: 'How far the gold reward of the best-of-N pick may fall from its peak as N grows.' },
  { key: 'max_p95_latency_ms', label: 'Max p95 latency (ms)', help: 'The 95th percentile of the time to score one sample.' },
];

export const suiteLabel = (s: { name: string; version: number }) => `${s.name} v${s.version}`;

/** A reference as given, with what an alias resolved to. */
export function Subject({ subject }: { subject: EvalSubject | null }) {
  if (!subject) return <span className="muted">none</span>;
  return (
    <span title={subject.kind.replace('_', ' ')}>
      {subject.alias ? <>{subject.alias} → </> : null}
      <code>{subject.id}</code>
    </span>
  );
}

/** passed / failed, or nothing while there is no verdict. */
export function VerdictBadge({ verdict }: { verdict: 'passed' | 'failed' | null }) {
  if (!verdict) return null;
  return <span className={`badge verdict-${verdict}`}>{verdict}</span>;
}

/** An evaluation's phase and how far it has got. */
export function EvalProgress({ evaluation }: { evaluation: Evaluation }) {
  const p = evaluation.progress;
  if (!p || !EVAL_ACTIVE.includes(evaluation.status)) return <span className="muted">—</span>;
  return (
    <div className="progress">
      <progress max={p.total || 1} value={p.total ? p.done : 0} aria-label={`${p.phase ?? 'progress'}: ${p.done} of ${p.total || '?'}`} />
      <span>
        {p.phase && <>{p.phase} </>}
        {p.done}/{p.total || '?'}
      </span>
    </div>
  );
}

/** Cancels a queued or running evaluation; `onDone` gets its new view. */
export function CancelButton({ evaluation, onDone }: { evaluation: Evaluation; onDone: (e: Evaluation) => void }) {
  const { busy, error, run } = useAction();
  if (!EVAL_ACTIVE.includes(evaluation.status)) return null;
  return (
    <>
      <button type="button" className="danger" disabled={busy} aria-label={`Cancel ${evaluation.id}`}
        onClick={() => run(async () => onDone(await api.post<Evaluation>(`/v1/evaluations/${evaluation.id}/cancel`)))}>
        {busy ? 'Cancelling…' : 'Cancel'}
      </button>
      <ErrorBox error={error} title="Not cancelled" />
    </>
  );
}

/** Evaluations as a table: newest first, with their verdicts and a cancel button while they can change. */
export function RunsTable({ runs, onChange, showSuite = true }: { runs: Evaluation[]; onChange: () => void; showSuite?: boolean }) {
  return (
    <div className="table-wrap">
      <table aria-label="Evaluations">
        <thead>
          <tr>
            <th>Evaluation</th>
            {showSuite && <th>Suite</th>}
            <th>Candidate</th>
            <th>Baseline</th>
            <th>Status</th>
            <th>Verdict</th>
            <th>Progress</th>
            <th>Age</th>
            <th>
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {runs.map((e) => (
            <tr key={e.id}>
              <td>
                <Link to={`/evaluations/${e.id}`}>
                  <code>{e.id}</code>
                </Link>
              </td>
              {showSuite && (
                <td>
                  <Link to={`/evaluations/suites/${e.suite}`}>{suiteLabel({ name: e.suite_name, version: e.suite_version })}</Link>
                </td>
              )}
              <td><Subject subject={e.candidate} /></td>
              <td><Subject subject={e.baseline} /></td>
              <td><StatusBadge status={e.status} /></td>
              <td>
                <VerdictBadge verdict={e.verdict} />
                {e.verdict === 'failed' && e.failed_thresholds.length > 0 && (
                  <span className="muted"> {e.failed_thresholds.map((t) => t.name).join(', ')}</span>
                )}
              </td>
              <td><EvalProgress evaluation={e} /></td>
              <td title={e.created_at}>{age(e.created_at)}</td>
              <td>
                <CancelButton evaluation={e} onDone={onChange} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** POST /v1/evaluations: a suite, a candidate and optionally a baseline other than the suite's. */
function RunForm({ suites, defaultSuite, defaultCandidate }: { suites: EvalSuite[]; defaultSuite: string; defaultCandidate: string }) {
  const navigate = useNavigate();
  const refs = useRewardRefs();
  const [suite, setSuite] = useState(defaultSuite);
  const [candidate, setCandidate] = useState(defaultCandidate);
  const [baseline, setBaseline] = useState('');
  const { busy, error, run } = useAction();
  const chosen = suites.find((s) => s.id === suite || s.name === suite);

  function submit(e: FormEvent) {
    e.preventDefault();
    run(async () => {
      const made = await api.post<Evaluation>('/v1/evaluations', { suite, candidate, ...(baseline ? { baseline } : {}) });
      navigate(`/evaluations/${made.id}`);
    });
  }
  const errs = error instanceof ApiError ? error.byPointer() : {};
  return (
    <form className="card" aria-label="Run evaluation" onSubmit={submit}>
      <h2>Run evaluation</h2>
      <ErrorBox error={refs.error} title="Could not load reward specs, models and aliases" />
      <div className="row">
        <Field label="Suite" error={errs['/suite']}>
          {(p) => (
            <select {...p} value={suite} onChange={(e) => setSuite(e.target.value)}>
              <option value="">choose…</option>
              {suites.map((s) => (
                <option key={s.id} value={s.id}>
                  {suiteLabel(s)} ({s.id})
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Candidate" help="The reward spec, reward model or alias to judge." error={errs['/candidate']}>
          {(p) => <RewardRefSelect {...p} refs={refs.data} value={candidate} onChange={setCandidate} none="choose…" />}
        </Field>
        <Field label="Baseline" help={chosen?.baseline ? <>Optional; the suite's is <code>{chosen.baseline}</code>.</> : 'Optional: what the candidate is compared with.'}
          error={errs['/baseline']}>
          {(p) => <RewardRefSelect {...p} refs={refs.data} value={baseline} onChange={setBaseline} none="(the suite's baseline)" />}
        </Field>
      </div>
      <button type="submit" disabled={busy || !suite || !candidate}>
        {busy ? 'Starting…' : 'Run evaluation'}
      </button>
      <ErrorBox error={unplaced(error, ['/suite', '/candidate', '/baseline'])} title="Not started" />
    </form>
  );
}

/** The Runs tab: the run form and the evaluations, filtered by suite and status (`?suite=&status=`). */
function Runs() {
  const [params, setParams] = useSearchParams();
  const suite = params.get('suite') ?? '';
  const status = params.get('status') ?? '';
  const suites = useAsync(() => listAll<EvalSuite>('/v1/eval-suites').then((l) => l.reverse()), []);
  const [active, setActive] = useState(false);
  const runs = useAsync(
    () => {
      const q = new URLSearchParams({ ...(suite ? { suite } : {}), ...(status ? { status } : {}) }).toString();
      return listAll<Evaluation>(`/v1/evaluations${q ? `?${q}` : ''}`).then((l) => {
        setActive(l.some((e) => EVAL_ACTIVE.includes(e.status)));
        return l; // newest first, as the API lists them
      });
    },
    [suite, status],
    active ? RUNS_REFRESH_MS : undefined,
  );
  const filter = (key: string, value: string) => {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    setParams(next);
  };
  return (
    <>
      <ErrorBox error={suites.error} title="Could not load suites" />
      {suites.data && (
        <RunForm key={suite} suites={suites.data} defaultSuite={suite} defaultCandidate={params.get('candidate') ?? ''} />
      )}
      <h2>Runs</h2>
      <div className="toolbar">
        <Field label="Suite">
          {(p) => (
            <select {...p} value={suite} onChange={(e) => filter('suite', e.target.value)}>
              <option value="">all</option>
              {(suites.data ?? []).map((s) => (
                <option key={s.id} value={s.id}>
                  {suiteLabel(s)}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Status">
          {(p) => (
            <select {...p} value={status} onChange={(e) => filter('status', e.target.value)}>
              <option value="">all</option>
              {EVAL_STATUSES.map((s) => (
                <option key={s}>{s}</option>
              ))}
            </select>
          )}
        </Field>
      </div>
      <ErrorBox error={runs.error} title="Could not load evaluations" />
      {runs.loading && !runs.data ? (
        <Loading what="Loading evaluations" />
      ) : runs.data && runs.data.length === 0 ? (
        <Empty>{suite || status ? 'No evaluations match.' : 'No evaluations yet: run one with the form above.'}</Empty>
      ) : (
        runs.data && <RunsTable runs={runs.data} onChange={runs.reload} />
      )}
    </>
  );
}

/** The suite form's fields, as typed. */
export interface SuiteForm {
  name: string;
  description: string;
  preferences: string;
  prompts: string;
  gold_reward_spec: string;
  policy: string;
  n_samples: string;
  max_prompts: string;
  max_new_tokens: string;
  temperature: string;
  top_p: string;
  seed: string;
  thresholds: Record<string, string>;
  max_regression: { metric: EvalMetric | ''; allowed: string }[];
  baseline: string;
}

export const EMPTY_SUITE: SuiteForm = {
  name: '', description: '', preferences: '', prompts: '', gold_reward_spec: '', policy: '', n_samples: '', max_prompts: '',
  max_new_tokens: '', temperature: '', top_p: '', seed: '', thresholds: {}, max_regression: [], baseline: '',
};

const INTEGER = { type: 'integer' } as Hyperparameter;
const NUMBER = { type: 'number' } as Hyperparameter;
const SAMPLING: { key: 'n_samples' | 'max_prompts' | 'max_new_tokens' | 'temperature' | 'top_p' | 'seed'; label: string; help: string; integer: boolean }[] = [
  { key: 'n_samples', label: 'Samples per prompt (n_samples)', help: '1 to 64; default 32 (the best-of-N probe goes up to N = n_samples).', integer: true },
  { key: 'max_prompts', label: 'Max prompts', help: 'Default 32.', integer: true },
  { key: 'max_new_tokens', label: 'Max new tokens', help: 'Default: the dry-run default.', integer: true },
  { key: 'temperature', label: 'Temperature', help: 'Above 0, at most 2.', integer: false },
  { key: 'top_p', label: 'Top p', help: 'Above 0, at most 1.', integer: false },
  { key: 'seed', label: 'Seed', help: 'Default 0: the same samples every run.', integer: true },
];

/**
 * The POST /v1/eval-suites body of the form: empty boxes are left out (the API's defaults), numbers parsed (what is
 * not a number is sent as typed, for the API to say why). A max_regression row without a metric, or a metric twice,
 * is refused here at the rows.
 */
export function suiteBody(f: SuiteForm): Record<string, unknown> {
  const body: Record<string, unknown> = { name: f.name.trim() };
  for (const k of ['description', 'preferences', 'prompts', 'gold_reward_spec', 'policy', 'baseline'] as const) {
    if (f[k].trim()) body[k] = f[k].trim();
  }
  for (const s of SAMPLING) {
    if (f[s.key].trim()) body[s.key] = parseValue(s.integer ? INTEGER : NUMBER, f[s.key]);
  }
  const thresholds: Record<string, unknown> = {};
  for (const t of THRESHOLDS) {
    const raw = f.thresholds[t.key] ?? '';
    if (raw.trim()) thresholds[t.key] = parseValue(NUMBER, raw);
  }
  const rows = f.max_regression.filter((r) => r.metric || r.allowed.trim());
  if (rows.length) {
    const regression: Record<string, unknown> = {};
    for (const r of rows) {
      if (!r.metric) {
        throw new ApiError(422, 'invalid_thresholds', 'The thresholds are invalid', [
          { pointer: '/thresholds/max_regression', detail: 'choose the metric of every row' },
        ]);
      }
      if (r.metric in regression) {
        throw new ApiError(422, 'invalid_thresholds', 'The thresholds are invalid', [
          { pointer: `/thresholds/max_regression/${r.metric}`, detail: 'this metric has two rows' },
        ]);
      }
      regression[r.metric] = parseValue(NUMBER, r.allowed);
    }
    thresholds.max_regression = regression;
  }
  if (Object.keys(thresholds).length) body.thresholds = thresholds;
  return body;
}

/** POST /v1/eval-suites, with every server error at its field. */
function SuiteCreate({ onCreated }: { onCreated: (s: EvalSuite) => void }) {
  const catalog = useAsync(() => Promise.all([listAll<Dataset>('/v1/datasets'), listAll<Model>('/v1/models')]), []);
  const refs = useRewardRefs();
  const [f, setF] = useState<SuiteForm>(EMPTY_SUITE);
  const [made, setMade] = useState<EvalSuite | null>(null);
  const { busy, error, run } = useAction();
  const [datasets, models] = catalog.data ?? [[], []];
  const set = <K extends keyof SuiteForm>(k: K, v: SuiteForm[K]) => setF((old) => ({ ...old, [k]: v }));

  function submit(e: FormEvent) {
    e.preventDefault();
    setMade(null);
    run(async () => {
      const s = await api.post<EvalSuite>('/v1/eval-suites', suiteBody(f));
      setMade(s);
      onCreated(s);
    });
  }
  const errs = error instanceof ApiError ? error.byPointer() : {};
  const rowPointers = f.max_regression.filter((r) => r.metric).map((r) => `/thresholds/max_regression/${r.metric}`);
  const placed = ['/name', '/description', '/preferences', '/prompts', '/gold_reward_spec', '/policy', '/baseline', '/thresholds',
    '/thresholds/max_regression', ...SAMPLING.map((s) => `/${s.key}`), ...THRESHOLDS.map((t) => `/thresholds/${t.key}`), ...rowPointers];
  const datasetSelect = (key: 'preferences' | 'prompts') => (p: object) => (
    <select {...p} value={f[key]} onChange={(e) => set(key, e.target.value)}>
      <option value="">(none)</option>
      {datasets.filter((d) => d.purpose === key).map((d) => (
        <option key={d.id} value={d.id}>{d.name} ({d.id})</option>
      ))}
    </select>
  );
  const setRow = (i: number, row: SuiteForm['max_regression'][number]) =>
    set('max_regression', f.max_regression.map((r, j) => (j === i ? row : r)));
  return (
    <details className="card" open>
      <summary>New suite (or a new version of one)</summary>
      <form className="suite-form" aria-label="New suite" onSubmit={submit} noValidate>
        <ErrorBox error={catalog.error ?? refs.error} title="Could not load datasets, models and reward specs" />
        <div className="row">
          <Field label="Name" help="Letters, digits, . _ -; the same name again makes its next version." error={errs['/name']}>
            {(p) => <input {...p} value={f.name} onChange={(e) => set('name', e.target.value)} />}
          </Field>
          <Field label="Description" error={errs['/description']} className="grow">
            {(p) => <input {...p} value={f.description} onChange={(e) => set('description', e.target.value)} />}
          </Field>
        </div>
        <fieldset>
          <legend>What it measures</legend>
          <p className="muted">Held-out preference pairs, prompts whose policy samples a gold judge scores, or both.</p>
          <div className="row">
            <Field label="Preferences dataset" help="Held-out pairs: pairwise accuracy and ECE." error={errs['/preferences']}>
              {datasetSelect('preferences')}
            </Field>
            <Field label="Prompts dataset" help="With a gold judge and a policy: gold correlation and the best-of-N probe." error={errs['/prompts']}>
              {datasetSelect('prompts')}
            </Field>
            <Field label="Gold reward spec" help="Required with prompts: the judge the candidate must agree with." error={errs['/gold_reward_spec']}>
              {(p) => <RewardRefSelect {...p} refs={refs.data} value={f.gold_reward_spec} onChange={(v) => set('gold_reward_spec', v)} none="(none)" specOnly />}
            </Field>
            <Field label="Policy model" help="Required with prompts: a ready language model whose samples are judged." error={errs['/policy']}>
              {(p) => (
                <select {...p} value={f.policy} onChange={(e) => set('policy', e.target.value)}>
                  <option value="">(none)</option>
                  {models.filter((m) => m.family === 'language-model' && m.status === 'ready').map((m) => (
                    <option key={m.id} value={m.id}>{m.name} ({m.id})</option>
                  ))}
                </select>
              )}
            </Field>
          </div>
          <div className="hp-grid">
            {SAMPLING.map((s) => (
              <Field key={s.key} label={s.label} help={s.help} error={errs[`/${s.key}`]}>
                {(p) => <input {...p} inputMode={s.integer ? 'numeric' : 'decimal'} value={f[s.key]} onChange={(e) => set(s.key, e.target.value)} />}
              </Field>
            ))}
          </div>
        </fieldset>
        <fieldset>
          <legend>Thresholds</legend>
          <p className="muted">Each optional; the verdict fails when any threshold set here is not met.</p>
          {errs['/thresholds'] && <p className="field-error" role="alert">{errs['/thresholds']}</p>}
          <div className="hp-grid">
            {THRESHOLDS.map((t) => (
              <Field key={t.key} label={t.label} help={t.help} error={errs[`/thresholds/${t.key}`]}>
                {(p) => (
                  <input {...p} inputMode="decimal" value={f.thresholds[t.key] ?? ''}
                    onChange={(e) => set('thresholds', { ...f.thresholds, [t.key]: e.target.value })} />
                )}
              </Field>
            ))}
          </div>
          <div className="regressions" role="group" aria-label="Max regression against the baseline">
            <h4>Max regression against the baseline</h4>
            <p className="muted">Per metric, how much worse than the baseline the candidate may be, in the metric's units (needs a baseline).</p>
            {errs['/thresholds/max_regression'] && <p className="field-error" role="alert">{errs['/thresholds/max_regression']}</p>}
            {f.max_regression.map((r, i) => (
              <div className="row" key={i}>
                <Field label={`Metric ${i + 1}`} error={r.metric ? errs[`/thresholds/max_regression/${r.metric}`] : undefined}>
                  {(p) => (
                    <select {...p} value={r.metric} onChange={(e) => setRow(i, { ...r, metric: e.target.value as EvalMetric | '' })}>
                      <option value="">choose…</option>
                      {EVAL_METRICS.map((m) => (
                        <option key={m}>{m}</option>
                      ))}
                    </select>
                  )}
                </Field>
                <Field label={`Allowed worsening ${i + 1}`}>
                  {(p) => <input {...p} inputMode="decimal" value={r.allowed} onChange={(e) => setRow(i, { ...r, allowed: e.target.value })} />}
                </Field>
                <button type="button" className="link" aria-label={`Remove metric ${i + 1}`}
                  onClick={() => set('max_regression', f.max_regression.filter((_, j) => j !== i))}>
                  Remove
                </button>
              </div>
            ))}
            <button type="button" className="secondary" onClick={() => set('max_regression', [...f.max_regression, { metric: '', allowed: '' }])}>
              Add a metric
            </button>
          </div>
        </fieldset>
        <Field label="Baseline" help="Optional: a reward spec, reward model or alias (resolved at each evaluation) to compare with."
          error={errs['/baseline']}>
          {(p) => <RewardRefSelect {...p} refs={refs.data} value={f.baseline} onChange={(v) => set('baseline', v)} none="(none)" />}
        </Field>
        <button type="submit" disabled={busy}>{busy ? 'Creating…' : 'Create suite'}</button>
        {made && (
          <p role="status" className="ok">
            Created <Link to={`/evaluations/suites/${made.id}`}>{suiteLabel(made)}</Link> <code>{made.id}</code>.
          </p>
        )}
        <ErrorBox error={unplaced(error, placed)} title="The suite was not created" />
      </form>
    </details>
  );
}

/** What a suite measures, in a few words. */
function measures(s: EvalSuite): string {
  return [s.preferences && 'preferences', s.prompts && 'gold judge + best-of-N'].filter(Boolean).join(', ') || '—';
}

/** A suite's thresholds as "name ≤ value" lines. */
export function thresholdLines(t: EvalThresholds | null | undefined): string[] {
  if (!t) return [];
  const out: string[] = [];
  for (const d of THRESHOLDS) {
    const v = t[d.key];
    if (v != null) out.push(`${d.key} ${d.key.startsWith('min') ? '≥' : '≤'} ${fmt(v)}`);
  }
  for (const [m, v] of Object.entries(t.max_regression ?? {})) out.push(`max_regression.${m} ≤ ${fmt(v)}`);
  return out;
}

function Suites() {
  const suites = useAsync(() => listAll<EvalSuite>('/v1/eval-suites').then((l) => l.reverse()), []);
  return (
    <>
      <SuiteCreate onCreated={suites.reload} />
      <h2>Suites</h2>
      <ErrorBox error={suites.error} title="Could not load suites" />
      {suites.loading && !suites.data ? (
        <Loading what="Loading suites" />
      ) : suites.data && suites.data.length === 0 ? (
        <Empty>No suites yet: create one with the form above.</Empty>
      ) : (
        suites.data && (
          <div className="table-wrap">
            <table aria-label="Suites">
              <thead>
                <tr>
                  <th>Suite</th>
                  <th>Measures</th>
                  <th>Thresholds</th>
                  <th>Baseline</th>
                  <th>Age</th>
                </tr>
              </thead>
              <tbody>
                {suites.data.map((s) => (
                  <tr key={s.id}>
                    <td>
                      <Link to={`/evaluations/suites/${s.id}`}>{suiteLabel(s)}</Link> <code>{s.id}</code>
                    </td>
                    <td>{measures(s)}</td>
                    <td>{thresholdLines(s.thresholds).join(' · ') || <span className="muted">none</span>}</td>
                    <td>{s.baseline ? <code>{s.baseline}</code> : <span className="muted">none</span>}</td>
                    <td title={s.created_at}>{age(s.created_at)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )
      )}
    </>
  );
}

/** /evaluations/suites/{id}: the suite version, its other versions and its runs. */
export function SuiteDetail() {
  const { id = '' } = useParams();
  const suite = useAsync((signal) => api.get<EvalSuite>(`/v1/eval-suites/${id}`, { signal }), [id]);
  const name = suite.data?.name;
  const versions = useAsync(() => (name ? listAll<EvalSuite>(`/v1/eval-suites?name=${encodeURIComponent(name)}`) : Promise.resolve([])), [name]);
  const runs = useAsync(() => listAll<Evaluation>(`/v1/evaluations?suite=${encodeURIComponent(id)}`), [id]);
  if (suite.loading && !suite.data) return <Loading what="Loading suite" />;
  if (!suite.data) return <ErrorBox error={suite.error} title="Could not load the suite" />;
  const s = suite.data;
  const fact = (label: string, value: ReactNode) => (
    <>
      <dt>{label}</dt>
      <dd>{value ?? <span className="muted">—</span>}</dd>
    </>
  );
  const code = (v: string | number | null) => (v == null ? null : <code>{v}</code>);
  return (
    <section>
      <p><Link to="/evaluations/suites">← Suites</Link></p>
      <div className="page-head">
        <h1>
          Suite {suiteLabel(s)} <code>{s.id}</code>
        </h1>
        <Link className="button" to={`/evaluations?suite=${s.id}`}>Run evaluation</Link>
      </div>
      {s.description && <p>{s.description}</p>}
      <dl className="facts">
        {fact('Preferences', code(s.preferences))}
        {fact('Prompts', code(s.prompts))}
        {fact('Gold reward spec', code(s.gold_reward_spec))}
        {fact('Policy', code(s.policy))}
        {fact('Sampling', `${s.n_samples} samples per prompt · ${s.max_prompts} prompts`
          + `${s.max_new_tokens != null ? ` · ${s.max_new_tokens} new tokens` : ''}${s.temperature != null ? ` · temperature ${fmt(s.temperature)}` : ''}`
          + `${s.top_p != null ? ` · top_p ${fmt(s.top_p)}` : ''}${s.seed != null ? ` · seed ${s.seed}` : ''}`)}
        {fact('Thresholds', thresholdLines(s.thresholds).length ? (
          <ul className="plain" aria-label="Thresholds">{thresholdLines(s.thresholds).map((l) => <li key={l}><code>{l}</code></li>)}</ul>
        ) : null)}
        {fact('Baseline', code(s.baseline))}
        {fact('Created', age(s.created_at))}
      </dl>
      {versions.data && versions.data.length > 1 && (
        <p>
          Versions:{' '}
          {[...versions.data].sort((a, b) => a.version - b.version).map((v, i) => (
            <span key={v.id}>
              {i > 0 && ' · '}
              {v.id === s.id ? <strong>v{v.version}</strong> : <Link to={`/evaluations/suites/${v.id}`}>v{v.version}</Link>}
            </span>
          ))}
        </p>
      )}
      <h2>Runs on this version</h2>
      <ErrorBox error={runs.error} title="Could not load its evaluations" />
      {runs.loading && !runs.data ? (
        <Loading what="Loading evaluations" />
      ) : runs.data && runs.data.length === 0 ? (
        <Empty>No evaluations on this suite yet.</Empty>
      ) : (
        runs.data && <RunsTable runs={runs.data} onChange={runs.reload} showSuite={false} />
      )}
    </section>
  );
}

const TABS = [
  ['/evaluations', 'Runs'],
  ['/evaluations/suites', 'Suites'],
  ['/evaluations/aliases', 'Aliases'],
] as const;

/** The Evaluations page: runs, suites and aliases, one tab each. */
export function Evaluations({ tab }: { tab: 'runs' | 'suites' | 'aliases' }) {
  return (
    <section>
      <h1>Evaluations</h1>
      <nav className="tabs" aria-label="Evaluations">
        {TABS.map(([to, label]) => (
          <NavLink key={to} to={to} end>
            {label}
          </NavLink>
        ))}
      </nav>
      {tab === 'runs' ? <Runs /> : tab === 'suites' ? <Suites /> : <AliasesPanel />}
    </section>
  );
}
