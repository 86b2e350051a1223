import { useEffect, useState, type FormEvent } from 'react';
import { api, ApiError, listAll, type Dataset, type DryRun, type Distribution, type Model, type RewardResult, type RewardSpec } from '../api';
import { HistogramChart } from '../components/Chart';
import { age, Empty, ErrorBox, Field, fmt, Loading, useAction, useAsync } from '../components/ui';
import { AliasChips } from './Aliases';

export const EXAMPLE_GRADER = {
  type: 'string_check',
  name: 'exact',
  input: '{{sample.output_text}}',
  reference: '{{item.answer}}',
  operation: 'eq',
};

/** The JSON syntax error of `text`, or null. */
export function jsonError(text: string): string | null {
  try {
    JSON.parse(text);
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

/** Server errors of the grader (pointers under /grader), as lines to show under the editor. */
export function graderErrors(error: unknown): string[] {
  if (!(error instanceof ApiError)) return [];
  return error.errors.filter((e) => e.pointer.startsWith('/grader')).map((e) => `${e.pointer}: ${e.detail}`);
}

function Editor({ onCreated }: { onCreated: (spec: RewardSpec) => void }) {
  const [name, setName] = useState('exact-answer');
  const [text, setText] = useState(JSON.stringify(EXAMPLE_GRADER, null, 2));
  const [result, setResult] = useState<{ valid: boolean; item_fields: string[] } | null>(null);
  const { busy, error, run } = useAction();
  const syntax = jsonError(text);

  function call(create: boolean) {
    setResult(null);
    run(async () => {
      const grader = JSON.parse(text);
      if (create) onCreated(await api.post<RewardSpec>('/v1/reward-specs', { name, grader }));
      else setResult(await api.post('/v1/reward-specs/validate', { grader }));
    });
  }
  const errs = error instanceof ApiError ? error.byPointer() : {};
  const graderProblems = graderErrors(error);
  return (
    <form className="card" aria-label="New reward spec" onSubmit={(e: FormEvent) => { e.preventDefault(); call(true); }}>
      <h2>New reward spec</h2>
      <Field label="Name" error={errs['/name']}>
        {(p) => <input {...p} value={name} onChange={(e) => setName(e.target.value)} />}
      </Field>
      <Field label="Grader (JSON)" help="Types: string_check, regex, numeric, json, text_similarity, length, checks, likelihood, reward_model, webhook, multi, gated, shaped."
        error={syntax ? `Not valid JSON: ${syntax}` : graderProblems.join('\n') || undefined}>
        {(p) => <textarea {...p} className="code" rows={10} spellCheck={false} value={text} onChange={(e) => setText(e.target.value)} />}
      </Field>
      <div className="actions">
        <button type="button" className="secondary" disabled={!!syntax || busy} onClick={() => call(false)}>
          Validate
        </button>
        <button type="submit" disabled={!!syntax || busy || !name.trim()}>
          Create
        </button>
      </div>
      {result && (
        <p role="status" className="ok">
          Valid. Items must have: {result.item_fields.length ? result.item_fields.join(', ') : 'no particular fields'}.
        </p>
      )}
      <ErrorBox error={error} title="Not accepted" hideFieldErrors={graderProblems.length > 0 || '/name' in errs} />
    </form>
  );
}

function TryIt({ spec }: { spec: RewardSpec }) {
  const [item, setItem] = useState(() => JSON.stringify(Object.fromEntries(spec.item_fields.map((f) => [f, f === 'answer' ? '42' : ''])), null, 2));
  const [output, setOutput] = useState('42');
  const [result, setResult] = useState<RewardResult | null>(null);
  const [error, setError] = useState<unknown>(null);
  const syntax = jsonError(item);
  async function run(e: FormEvent) {
    e.preventDefault();
    setError(null);
    setResult(null);
    try {
      setResult(await api.post<RewardResult>(`/v1/reward-specs/${spec.id}/run`, { item: JSON.parse(item), sample: { output_text: output } }));
    } catch (err) {
      setError(err);
    }
  }
  const errs = error instanceof ApiError ? error.byPointer() : {};
  return (
    <form className="card" aria-label="Try it" onSubmit={run}>
      <h3>Try it</h3>
      <div className="row">
        <Field label="Item (JSON)" error={syntax ? `Not valid JSON: ${syntax}` : errs['/item']}>
          {(p) => <textarea {...p} className="code" rows={4} spellCheck={false} value={item} onChange={(e) => setItem(e.target.value)} />}
        </Field>
        <Field label="Sample output" error={errs['/sample/output_text'] ?? errs['/sample']}>
          {(p) => <input {...p} value={output} onChange={(e) => setOutput(e.target.value)} />}
        </Field>
      </div>
      <button type="submit" disabled={!!syntax}>
        Score
      </button>
      <ErrorBox error={error} title="Could not score" />
      {result && (
        <div role="status" className="score">
          <p>
            Reward <strong data-testid="reward">{fmt(result.reward)}</strong>
          </p>
          {Object.keys(result.sub_rewards).length > 0 && (
            <ul>
              {Object.entries(result.sub_rewards).map(([k, v]) => (
                <li key={k}>
                  <code>{k}</code>: {fmt(v)}
                </li>
              ))}
            </ul>
          )}
          {result.errors.map((e, i) => (
            <p key={i} className="field-error">
              {e.kind}: {e.message}
            </p>
          ))}
        </div>
      )}
    </form>
  );
}

function Stats({ d }: { d: Distribution }) {
  return (
    <span className="muted">
      n={d.count} · mean {fmt(d.mean, 3)} · std {fmt(d.std, 3)} · min {fmt(d.min, 3)} · max {fmt(d.max, 3)}
    </span>
  );
}

function DryRuns({ spec }: { spec: RewardSpec }) {
  const catalog = useAsync(() => Promise.all([listAll<Model>('/v1/models'), listAll<Dataset>('/v1/datasets')]), []);
  const [model, setModel] = useState('');
  const [dataset, setDataset] = useState('');
  const [limit, setLimit] = useState('16');
  const [run, setRun] = useState<DryRun | null>(null);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    if (!run || ['succeeded', 'failed'].includes(run.status)) return;
    const t = setTimeout(() => {
      api.get<DryRun>(`/v1/reward-specs/${spec.id}/dry-runs/${run.id}`).then(setRun).catch(setError);
    }, 1000);
    return () => clearTimeout(t);
  }, [run, spec.id]);

  async function start(e: FormEvent) {
    e.preventDefault();
    setError(null);
    setRun(null);
    try {
      setRun(await api.post<DryRun>(`/v1/reward-specs/${spec.id}/dry-run`, { model, dataset, limit: Number(limit) || limit }));
    } catch (err) {
      setError(err);
    }
  }
  const [models, datasets] = catalog.data ?? [[], []];
  const errs = error instanceof ApiError ? error.byPointer() : {};
  const r = run?.report;
  return (
    <form className="card" aria-label="Dry run" onSubmit={start}>
      <h3>Dry run</h3>
      <p className="muted">Samples from a model on a prompt set, scores everything and reports the reward distribution before any training.</p>
      {catalog.loading && !catalog.data && <Loading what="Loading models and datasets" />}
      <ErrorBox error={catalog.error} />
      <div className="row">
        <Field label="Model" error={errs['/model']}>
          {(p) => (
            <select {...p} value={model} onChange={(e) => setModel(e.target.value)}>
              <option value="">choose…</option>
              {models.filter((m) => m.family === 'language-model' && m.status === 'ready').map((m) => (
                <option key={m.id} value={m.id}>{m.name} ({m.id})</option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Prompts" error={errs['/dataset']}>
          {(p) => (
            <select {...p} value={dataset} onChange={(e) => setDataset(e.target.value)}>
              <option value="">choose…</option>
              {datasets.filter((d) => d.purpose === 'prompts').map((d) => (
                <option key={d.id} value={d.id}>{d.name} ({d.id})</option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Prompts to use (limit)" error={errs['/limit']}>
          {(p) => <input {...p} inputMode="numeric" value={limit} onChange={(e) => setLimit(e.target.value)} />}
        </Field>
      </div>
      <button type="submit">Start dry run</button>
      <ErrorBox error={error} title="Dry run refused" hideFieldErrors />
      {run && !r && run.status !== 'failed' && <Loading what={`Dry run ${run.status}`} />}
      {run?.error && <p className="field-error">{run.error.code}: {run.error.message}</p>}
      {r && (
        <div className="report" aria-label="Dry-run report">
          <p>
            {r.samples} samples from {r.prompts} prompts · zero-variance groups {fmt(100 * r.zero_variance_group_fraction, 1)}% ·
            mean {fmt(r.completions.mean_tokens, 2)} tokens, {fmt(100 * r.completions.truncated_fraction, 1)}% truncated
          </p>
          {(r.warnings ?? []).map((w) => (
            <div key={w.code} className="field-error" role="alert" aria-label={`Warning ${w.code}`}>
              <strong>{w.code}</strong>: {w.message}
              <ul>
                {w.cures.map((c) => (
                  <li key={c}>{c}</li>
                ))}
              </ul>
            </div>
          ))}
          <div className="charts">
            <div>
              <HistogramChart title="reward" edges={r.reward.histogram.bin_edges} counts={r.reward.histogram.counts} />
              <Stats d={r.reward} />
            </div>
            {Object.entries(r.components).map(([name, d]) => (
              <div key={name}>
                <HistogramChart title={name} edges={d.histogram.bin_edges} counts={d.histogram.counts} />
                <Stats d={d} />
              </div>
            ))}
          </div>
          {Object.keys(r.errors_by_kind).length > 0 && (
            <p className="field-error">Errors: {Object.entries(r.errors_by_kind).map(([k, n]) => `${k} ×${n}`).join(', ')}</p>
          )}
          <div className="table-wrap">
            <table>
              <thead>
                <tr><th>Where</th><th>Item</th><th>Output</th><th>Reward</th></tr>
              </thead>
              <tbody>
                {(['low', 'median', 'high'] as const).flatMap((k) =>
                  r.examples[k].map((x, i) => (
                    <tr key={`${k}${i}`}>
                      <td>{k}</td>
                      <td><code>{JSON.stringify(x.item)}</code></td>
                      <td><code>{x.output || '∅'}</code></td>
                      <td>{fmt(x.reward, 3)}</td>
                    </tr>
                  )),
                )}
              </tbody>
            </table>
          </div>
        </div>
      )}
    </form>
  );
}

export function RewardSpecs() {
  const list = useAsync(() => listAll<RewardSpec>('/v1/reward-specs').then((l) => l.reverse()), []);
  const [selected, setSelected] = useState<string | null>(null);
  const spec = list.data?.find((s) => s.id === selected) ?? list.data?.[0];
  return (
    <section>
      <h1>Reward specs</h1>
      <div className="two-col wide-right">
        <div>
          <Editor onCreated={(s) => { list.reload(); setSelected(s.id); }} />
          <h2>Your specs</h2>
          <ErrorBox error={list.error} title="Could not load reward specs" />
          {list.loading && !list.data ? (
            <Loading what="Loading reward specs" />
          ) : list.data && list.data.length === 0 ? (
            <Empty>No reward specs yet: create one with the editor above.</Empty>
          ) : (
            <ul className="picker" aria-label="Reward specs">
              {list.data?.map((s) => (
                <li key={s.id}>
                  <button type="button" className={s.id === spec?.id ? 'link current' : 'link'} aria-pressed={s.id === spec?.id} onClick={() => setSelected(s.id)}>
                    {s.name} <code>{s.id}</code>
                  </button>{' '}
                  <AliasChips aliases={s.aliases} /> <span className="muted">{age(s.created_at)}</span>
                </li>
              ))}
            </ul>
          )}
        </div>
        <div>
          {spec ? (
            <>
              <h2>
                {spec.name} <code>{spec.id}</code> <AliasChips aliases={spec.aliases} />
              </h2>
              <pre className="code" aria-label="Grader">{JSON.stringify(spec.grader, null, 2)}</pre>
              <TryIt key={spec.id} spec={spec} />
              <DryRuns key={`d${spec.id}`} spec={spec} />
            </>
          ) : (
            !list.loading && <Empty>Select or create a reward spec to try it.</Empty>
          )}
        </div>
      </div>
    </section>
  );
}
