import { useMemo, useState, type FormEvent } from 'react';
import { useNavigate, useSearchParams } from 'react-router-dom';
import {
  api, ApiError, DEVICES, listAll,
  type Dataset, type Device, type Hyperparameter, type Job, type JobResources, type ListResponse, type Method, type Model, type RewardSpec,
} from '../api';
import { Empty, ErrorBox, Field, Loading, useAction, useAsync } from '../components/ui';

/** The methods that can start from `model`: every method until a model is chosen. */
export function methodsFor(methods: Method[], model: Model | undefined): Method[] {
  return model ? methods.filter((m) => m.required_family === model.family) : methods;
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

/** The LoRA fields of a language-model job, as typed: empty boxes are left out of `method.lora` (the API's defaults). */
export interface LoraForm {
  r: string;
  lora_alpha: string;
  target_modules: string;
}

/** `method.lora` from the form: numbers parsed (what is not a number is sent as typed), modules split at commas. */
export function loraBody(f: LoraForm): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (f.r.trim()) out.r = parseValue({ type: 'integer' } as Hyperparameter, f.r);
  if (f.lora_alpha.trim()) out.lora_alpha = parseValue({ type: 'number' } as Hyperparameter, f.lora_alpha);
  const modules = f.target_modules.split(',').map((m) => m.trim()).filter((m) => m !== '');
  if (modules.length) out.target_modules = modules;
  return out;
}

/**
 * Whether `model` can train LoRA adapters: an imported HuggingFace model or one aligned from it (both have recipe
 * `import`); a tiny-gpt trains in full. Unknown until a model is chosen.
 */
export const loraFits = (model: Model | undefined) => !model || model.recipe === 'import';

/** The Resources fields, as typed: all empty (device `''`: any) asks for no particular worker. */
export interface ResourcesForm {
  device: '' | Device;
  pool: string;
  min_gpu_memory_gb: string;
}

export const NO_RESOURCES: ResourcesForm = { device: '', pool: '', min_gpu_memory_gb: '' };

/**
 * The job's `resources` from the form, or null when nothing is set (then it is not sent and any worker may run the
 * job). A minimum GPU memory that is not a number ≥ 0 is refused here, at its field, before anything is sent.
 */
/** A job's `budget` from the form's max spend: null when empty; an ApiError at /budget/max_spend unless an amount above 0. */
export function budgetBody(maxSpend: string): { max_spend: number } | null {
  const text = maxSpend.trim();
  if (text === '') return null;
  const v = Number(text);
  if (!Number.isFinite(v) || v <= 0) {
    throw new ApiError(422, 'invalid_budget', 'The job is invalid.', [{ pointer: '/budget/max_spend', detail: 'must be an amount more than 0' }]);
  }
  return { max_spend: v };
}

export function resourcesBody(f: ResourcesForm): JobResources | null {
  const out: JobResources = {};
  if (f.device) out.device = f.device;
  if (f.pool.trim()) out.pool = f.pool.trim();
  const mem = f.min_gpu_memory_gb.trim();
  if (mem) {
    const n = Number(mem);
    if (!Number.isFinite(n) || n < 0) {
      throw new ApiError(422, 'invalid_resources', 'The resources are invalid', [
        { pointer: '/resources/min_gpu_memory_gb', detail: 'must be a number of GB, 0 or more' },
      ]);
    }
    out.min_gpu_memory_gb = n;
  }
  return Object.keys(out).length ? out : null;
}

const RESOURCE_POINTERS = ['/resources', '/resources/device', '/resources/pool', '/resources/min_gpu_memory_gb'];

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

  const [picked, setPicked] = useState('grpo');
  const [model, setModel] = useState(params.get('model') ?? '');
  const [dataset, setDataset] = useState('');
  const [evalDataset, setEvalDataset] = useState('');
  const [rewardSpec, setRewardSpec] = useState('');
  const [evalRewardSpec, setEvalRewardSpec] = useState('');
  const [seed, setSeed] = useState('');
  const [suffix, setSuffix] = useState('');
  const [hp, setHp] = useState<Record<string, string>>({});
  const [rawHp, setRawHp] = useState('{}');
  const [lora, setLora] = useState(false);
  const [loraForm, setLoraForm] = useState<LoraForm>({ r: '', lora_alpha: '', target_modules: '' });
  const [resources, setResources] = useState<ResourcesForm>(NO_RESOURCES);
  const [maxSpend, setMaxSpend] = useState('');
  const { busy, error, run } = useAction();

  // The model comes first: it decides which methods fit (a flow-matching model: the flow methods; a
  // language model: grpo and reward_model).
  const families = new Set(methods.map((m) => m.required_family));
  const usableModels = models.filter((m) => families.has(m.family) && m.status === 'ready');
  const chosenModel = usableModels.find((m) => m.id === model);
  const fitting = methodsFor(methods, chosenModel);
  // a model given in the URL (the Models page's "Align…") may not fit the default method
  const type = fitting.some((m) => m.type === picked) ? picked : fitting[0]?.type ?? picked;
  const method = methods.find((m) => m.type === type);
  const usableDatasets = datasets.filter((d) => !method || d.purpose === method.dataset_purpose);
  const errors = error instanceof ApiError ? error.byPointer() : {};
  const base = `/method/${type}`;
  // LoRA: any method that trains a language model (GRPO, RLOO, …, the reward model), on an imported model (the API
  // refuses it on a tiny-gpt at /method/lora)
  const loraOffered = method?.required_family === 'language-model';
  const loraAllowed = loraOffered && loraFits(chosenModel);
  const sendLora = lora && loraAllowed;
  // a module's own error (/method/lora/target_modules/0) shows at the one box that holds them all
  const targetErrors = Object.entries(errors).filter(([k]) => k.startsWith('/method/lora/target_modules'))
    .map(([k, v]) => (k === '/method/lora/target_modules' ? v : `${k.slice('/method/lora/target_modules/'.length)}: ${v}`));
  const placed = useMemo(
    () => ['/model', '/dataset', '/eval_dataset', '/reward_spec', '/eval_reward_spec', '/seed', '/suffix', '/method/type', ...RESOURCE_POINTERS, '/budget', '/budget/max_spend',
      ...(method?.hyperparameters ?? []).map((h) => `${base}/${h.key}`),
      ...(loraOffered ? ['/method/lora', '/method/lora/r', '/method/lora/lora_alpha',
        ...Object.keys(errors).filter((k) => k.startsWith('/method/lora/target_modules'))] : [])],
    [method, base, loraOffered, error],
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
      const body: Record<string, unknown> = { model, dataset, method: { type, [type]: hyper, ...(sendLora ? { lora: loraBody(loraForm) } : {}) } };
      const wanted = resourcesBody(resources);
      if (wanted) body.resources = wanted;
      if (evalDataset) body.eval_dataset = evalDataset;
      if (method?.uses_reward_spec !== false && rewardSpec) body.reward_spec = rewardSpec;
      if (evalRewardSpec) body.eval_reward_spec = evalRewardSpec;
      if (seed.trim()) body.seed = Number(seed);
      if (suffix.trim()) body.suffix = suffix.trim();
      const budget = budgetBody(maxSpend);
      if (budget) body.budget = budget;
      const job = await api.post<Job>('/v1/jobs', body);
      navigate(`/jobs/${job.id}`);
    });
  }

  if (catalog.loading && !catalog.data) return <Loading what="Loading models, datasets and reward specs" />;
  if (catalog.error) return <ErrorBox error={catalog.error} title="Could not load the catalog" />;

  // Options show names (ids can be told apart in the help line below the box, where they are not cut off).
  const select = (value: string, set: (v: string) => void, options: { id: string; name: string }[], optional = false) =>
    (p: object) => (
      <select {...p} value={value} onChange={(e) => set(e.target.value)} required={!optional}>
        <option value="">{optional ? '(none)' : 'choose…'}</option>
        {options.map((o) => (
          <option key={o.id} value={o.id} title={o.id}>
            {o.name}
          </option>
        ))}
      </select>
    );
  const chosen = (id: string, fallback?: string) => (id ? <code>{id}</code> : fallback);
  function chooseType(next: string) {
    setPicked(next);
    setHp({});
    const purpose = methods.find((m) => m.type === next)?.dataset_purpose;
    if (purpose !== method?.dataset_purpose) {
      setDataset('');
      setEvalDataset('');
    }
  }
  function chooseModel(id: string) {
    setModel(id);
    const fits = methodsFor(methods, usableModels.find((m) => m.id === id));
    if (!fits.some((m) => m.type === type) && fits.length > 0) chooseType(fits[0].type);
  }

  return (
    <section>
      <h1>Launch job</h1>
      {usableModels.length === 0 && (
        <Empty>No ready model yet: pretrain one on the Models page or wait for one to finish.</Empty>
      )}
      <form className="launch" onSubmit={submit} aria-label="Launch job" noValidate>
        <fieldset>
          <legend>What to train</legend>
          <Field label="Model" help={chosen(model, 'A ready language or flow-matching model.')} error={errors['/model']}>
            {select(model, chooseModel, usableModels)}
          </Field>
          <Field label="Method" help={method ? `Needs a ${method.required_family} model; produces a ${method.produces} model.` : undefined}
            error={errors['/method/type'] ?? errors['/method']}>
            {(p) => (
              <select {...p} value={type} onChange={(e) => chooseType(e.target.value)}>
                {fitting.map((m) => (
                  <option key={m.type} value={m.type}>
                    {m.type}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label="Dataset" error={errors['/dataset']}
            help={chosen(dataset, method?.required_family === 'flow-matching' ? 'Prompts that are class names, e.g. {"prompt":"sneaker"}.'
              : method ? `A ${method.dataset_purpose} dataset.` : undefined)}>
            {select(dataset, setDataset, usableDatasets)}
          </Field>
          <Field label="Eval dataset" help={chosen(evalDataset, 'Optional: held-out items for evaluations.')} error={errors['/eval_dataset']}>
            {select(evalDataset, setEvalDataset, usableDatasets, true)}
          </Field>
          {method?.uses_reward_spec !== false && (
            <>
              <Field label="Reward spec" help={chosen(rewardSpec, 'What the method optimizes.')} error={errors['/reward_spec']}>
                {select(rewardSpec, setRewardSpec, specs)}
              </Field>
              <Field label="Gold reward spec" help={chosen(evalRewardSpec, 'Optional, with an eval dataset: scored at evaluations (eval/gold/*), never optimized.')}
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
        {loraOffered && (
          <fieldset className="lora">
            <legend>LoRA</legend>
            <Field label="Train LoRA adapters (imported models)" error={errors['/method/lora']}
              help={loraAllowed
                ? 'Low-rank adapters on the frozen weights instead of full fine-tuning (PEFT\'s LoraConfig names); the aligned model exports merged.'
                : 'Only imported HuggingFace models (and models aligned from them) train adapters: a tiny-gpt trains in full.'}>
              {(p) => <input {...p} type="checkbox" checked={sendLora} disabled={!loraAllowed} onChange={(e) => setLora(e.target.checked)} />}
            </Field>
            {sendLora && (
              <div className="hp-grid">
                <Field label={<code>r</code>} error={errors['/method/lora/r']} help={<>The adapters' rank. <span className="default">Default: <code>8</code></span></>}>
                  {(p) => <input {...p} inputMode="numeric" placeholder="8" value={loraForm.r} onChange={(e) => setLoraForm({ ...loraForm, r: e.target.value })} />}
                </Field>
                <Field label={<code>lora_alpha</code>} error={errors['/method/lora/lora_alpha']}
                  help={<>Scales the update by lora_alpha / r. <span className="default">Default: <code>16</code></span></>}>
                  {(p) => <input {...p} inputMode="decimal" placeholder="16" value={loraForm.lora_alpha} onChange={(e) => setLoraForm({ ...loraForm, lora_alpha: e.target.value })} />}
                </Field>
                <Field label={<code>target_modules</code>} error={targetErrors.join('; ') || undefined}
                  help={<>Comma-separated module names, matched as PEFT matches them. <span className="default">Default: the attention projections
                    (<code>c_attn, attn.c_proj</code> for gpt2; <code>q_proj, k_proj, v_proj, o_proj</code> for llama and qwen2)</span></>}>
                  {(p) => <input {...p} placeholder="attention projections" value={loraForm.target_modules} onChange={(e) => setLoraForm({ ...loraForm, target_modules: e.target.value })} />}
                </Field>
              </div>
            )}
          </fieldset>
        )}
        <fieldset className="resources">
          <legend>Resources</legend>
          <p className="muted">Optional: which workers may run the job. Left empty, any free worker does; a job that no live worker matches waits queued, with the reason on its page.</p>
          <div className="hp-grid">
            <Field label="Device" error={[errors['/resources/device'], errors['/resources']].filter(Boolean).join('; ') || undefined}
              help="cuda: a worker with a GPU.">
              {(p) => (
                <select {...p} value={resources.device} onChange={(e) => setResources({ ...resources, device: e.target.value as ResourcesForm['device'] })}>
                  <option value="">any</option>
                  {DEVICES.map((d) => (
                    <option key={d}>{d}</option>
                  ))}
                </select>
              )}
            </Field>
            <Field label="Pool" error={errors['/resources/pool']} help="The pool label its worker must carry.">
              {(p) => <input {...p} placeholder="any" value={resources.pool} onChange={(e) => setResources({ ...resources, pool: e.target.value })} />}
            </Field>
            <Field label="Min GPU memory (GB)" error={errors['/resources/min_gpu_memory_gb']} help="The least GPU memory its worker must have.">
              {(p) => (
                <input {...p} inputMode="decimal" placeholder="any" value={resources.min_gpu_memory_gb}
                  onChange={(e) => setResources({ ...resources, min_gpu_memory_gb: e.target.value })} />
              )}
            </Field>
          </div>
        </fieldset>
        <fieldset className="budget">
          <legend>Budget</legend>
          <Field label="Max spend" error={[errors['/budget/max_spend'], errors['/budget']].filter(Boolean).join('; ') || undefined}
            help="Optional: when its spend reaches this, the job pauses with a checkpoint; raise it on the job's page to resume.">
            {(p) => <input {...p} inputMode="decimal" placeholder="none" value={maxSpend} onChange={(e) => setMaxSpend(e.target.value)} />}
          </Field>
        </fieldset>
        <ErrorBox error={unplaced(error, placed)} title="The job was not created" />
        <button type="submit" disabled={busy}>
          {busy ? 'Submitting…' : 'Launch job'}
        </button>
      </form>
    </section>
  );
}
