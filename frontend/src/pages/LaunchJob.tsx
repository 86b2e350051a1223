import { useMemo, useState, type FormEvent } from 'react';
import { useNavigate, useSearchParams } from 'react-router-dom';
import { api, ApiError, listAll, type Dataset, type Hyperparameter, type Job, type ListResponse, type Method, type Model, type RewardSpec } from '../api';
import { Empty, ErrorBox, Field, Loading, useAction, useAsync } from '../components/ui';

/** The family of model a method starts from: image methods align flow-matching models. */
export function familyFor(method: Method | undefined): string {
  if (!method) return 'language-model';
  return method.produces === 'reward-model' ? 'language-model' : method.produces;
}

/** A typed value from a text box; what cannot be parsed is sent as typed, and the API says why it is wrong. */
export function parseValue(h: Hyperparameter, raw: string): unknown {
  const t = raw.trim();
  if (h.type === 'boolean') return t === 'true';
  if (h.type === 'integer' || h.type === 'number') {
    const n = Number(t);
    return t !== '' && Number.isFinite(n) ? n : t;
  }
  return t;
}

/** Problem-detail errors whose pointer no field of the form shows. */
export function unplaced(error: unknown, placed: string[]): ApiError | null {
  if (!(error instanceof ApiError)) return null;
  const rest = error.errors.filter((e) => !placed.includes(e.pointer));
  return new ApiError(error.status, error.code, error.message, rest);
}

export function LaunchJob() {
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const catalog = useAsync(
    () =>
      Promise.all([
        api.get<ListResponse<Method>>('/v1/methods').then((r) => r.data),
        listAll<Model>('/v1/models'),
        listAll<Dataset>('/v1/datasets'),
        listAll<RewardSpec>('/v1/reward-specs'),
      ]),
    [],
  );
  const [methods, models, datasets, specs] = catalog.data ?? [[], [], [], []];

  const [type, setType] = useState('grpo');
  const [model, setModel] = useState(params.get('model') ?? '');
  const [dataset, setDataset] = useState('');
  const [evalDataset, setEvalDataset] = useState('');
  const [rewardSpec, setRewardSpec] = useState('');
  const [evalRewardSpec, setEvalRewardSpec] = useState('');
  const [seed, setSeed] = useState('');
  const [suffix, setSuffix] = useState('');
  const [hp, setHp] = useState<Record<string, string>>({});
  const [rawHp, setRawHp] = useState('{}');
  const { busy, error, run } = useAction();

  const method = methods.find((m) => m.type === type);
  const family = familyFor(method);
  const usableModels = models.filter((m) => m.family === family && m.status === 'ready');
  const usableDatasets = datasets.filter((d) => !method || d.purpose === method.dataset_purpose);
  const errors = error instanceof ApiError ? error.byPointer() : {};
  const base = `/method/${type}`;
  const placed = useMemo(
    () => ['/model', '/dataset', '/eval_dataset', '/reward_spec', '/eval_reward_spec', '/seed', '/suffix', '/method/type',
      ...(method?.hyperparameters ?? []).map((h) => `${base}/${h.key}`)],
    [method, base],
  );

  function submit(e: FormEvent) {
    e.preventDefault();
    run(async () => {
      let hyper: Record<string, unknown> = {};
      if (method && method.hyperparameters.length > 0) {
        for (const h of method.hyperparameters) {
          if ((hp[h.key] ?? '').trim() !== '') hyper[h.key] = parseValue(h, hp[h.key]);
        }
      } else {
        try {
          hyper = JSON.parse(rawHp || '{}');
        } catch (err) {
          throw new ApiError(422, 'invalid_json', 'Hyperparameters are not valid JSON', [
            { pointer: base, detail: (err as Error).message },
          ]);
        }
      }
      const body: Record<string, unknown> = { model, dataset, method: { type, [type]: hyper } };
      if (evalDataset) body.eval_dataset = evalDataset;
      if (method?.uses_reward_spec !== false && rewardSpec) body.reward_spec = rewardSpec;
      if (evalRewardSpec) body.eval_reward_spec = evalRewardSpec;
      if (seed.trim()) body.seed = Number(seed);
      if (suffix.trim()) body.suffix = suffix.trim();
      const job = await api.post<Job>('/v1/jobs', body);
      navigate(`/jobs/${job.id}`);
    });
  }

  if (catalog.loading && !catalog.data) return <Loading what="Loading models, datasets and reward specs" />;
  if (catalog.error) return <ErrorBox error={catalog.error} title="Could not load the catalog" />;

  const select = (value: string, set: (v: string) => void, options: { id: string; name: string }[], optional = false) =>
    (p: object) => (
      <select {...p} value={value} onChange={(e) => set(e.target.value)} required={!optional}>
        <option value="">{optional ? '(none)' : 'choose…'}</option>
        {options.map((o) => (
          <option key={o.id} value={o.id}>
            {o.name} ({o.id})
          </option>
        ))}
      </select>
    );

  return (
    <section>
      <h1>Launch job</h1>
      {usableModels.length === 0 && (
        <Empty>No ready {family} model yet: pretrain one (POST /v1/models) or wait for one to finish.</Empty>
      )}
      <form className="launch" onSubmit={submit} aria-label="Launch job" noValidate>
        <fieldset>
          <legend>What to train</legend>
          <Field label="Method" error={errors['/method/type'] ?? errors['/method']}>
            {(p) => (
              <select {...p} value={type} onChange={(e) => { setType(e.target.value); setHp({}); setDataset(''); setEvalDataset(''); }}>
                {methods.map((m) => (
                  <option key={m.type} value={m.type}>
                    {m.type}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label="Model" help={`A ready ${family} model.`} error={errors['/model']}>
            {select(model, setModel, usableModels)}
          </Field>
          <Field label="Dataset" help={method ? `A ${method.dataset_purpose} dataset.` : undefined} error={errors['/dataset']}>
            {select(dataset, setDataset, usableDatasets)}
          </Field>
          <Field label="Eval dataset" help="Optional: held-out items for evaluations." error={errors['/eval_dataset']}>
            {select(evalDataset, setEvalDataset, usableDatasets, true)}
          </Field>
          {method?.uses_reward_spec !== false && (
            <>
              <Field label="Reward spec" help="What the method optimizes." error={errors['/reward_spec']}>
                {select(rewardSpec, setRewardSpec, specs)}
              </Field>
              <Field label="Gold reward spec" help="Optional: scored at evaluations (eval/gold/*), never optimized."
                error={errors['/eval_reward_spec']}>
                {select(evalRewardSpec, setEvalRewardSpec, specs, true)}
              </Field>
            </>
          )}
          <Field label="Seed" help="Optional; drawn at random when empty." error={errors['/seed']}>
            {(p) => <input {...p} inputMode="numeric" value={seed} onChange={(e) => setSeed(e.target.value)} />}
          </Field>
          <Field label="Suffix" help="Optional: names the aligned model." error={errors['/suffix']}>
            {(p) => <input {...p} value={suffix} onChange={(e) => setSuffix(e.target.value)} />}
          </Field>
        </fieldset>
        <fieldset className="hyper">
          <legend>Hyperparameters of {type}</legend>
          {method && method.hyperparameters.length > 0 ? (
            <>
              <p className="muted">Leave a box empty to use the documented default.</p>
              <div className="hp-grid">
                {method.hyperparameters.map((h) => (
                  <Field key={h.key} label={<code>{h.key}</code>} error={errors[`${base}/${h.key}`]}
                    help={<>{h.description} <span className="default">Default: <code>{String(h.default)}</code></span></>}>
                    {(p) =>
                      h.type === 'enum' || h.type === 'boolean' ? (
                        <select {...p} value={hp[h.key] ?? ''} onChange={(e) => setHp({ ...hp, [h.key]: e.target.value })}>
                          <option value="">default ({String(h.default)})</option>
                          {(h.type === 'boolean' ? ['true', 'false'] : h.values ?? []).map((v) => (
                            <option key={v}>{v}</option>
                          ))}
                        </select>
                      ) : (
                        <input {...p} inputMode="decimal" placeholder={String(h.default)} value={hp[h.key] ?? ''}
                          onChange={(e) => setHp({ ...hp, [h.key]: e.target.value })} />
                      )
                    }
                  </Field>
                ))}
              </div>
            </>
          ) : (
            <Field label="Hyperparameters (JSON)" help="This method's keys are documented in the README." error={errors[base]}>
              {(p) => <textarea {...p} rows={6} value={rawHp} onChange={(e) => setRawHp(e.target.value)} spellCheck={false} />}
            </Field>
          )}
        </fieldset>
        <ErrorBox error={unplaced(error, placed)} title="The job was not created" />
        <button type="submit" disabled={busy}>
          {busy ? 'Submitting…' : 'Launch job'}
        </button>
      </form>
    </section>
  );
}
