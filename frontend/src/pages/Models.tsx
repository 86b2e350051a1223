import { useState, type FormEvent } from 'react';
import { Link } from 'react-router-dom';
import { api, ApiError, listAll, PLAYABLE, type Dataset, type Model, type RewardSpec } from '../api';
import { age, Empty, ErrorBox, Field, Loading, StatusBadge, useAction, useAsync } from '../components/ui';

/**
 * What the form starts from per recipe. tiny-gpt: the demo's base model, smaller, stopping early at 30% greedy
 * accuracy when an eval set and reward are given. tiny-flow: nothing, i.e. the recipe's documented defaults
 * (every key is optional).
 */
export const RECIPES = {
  'tiny-gpt': { n_layer: 2, n_embd: 64, n_head: 2, block_size: 16, max_steps: 300, eval_interval: 10, eval_max_new_tokens: 6,
    stop_at_accuracy: 0.3 } as Record<string, unknown>,
  'tiny-flow': {} as Record<string, unknown>,
};
type Recipe = keyof typeof RECIPES;
const pretty = (hp: Record<string, unknown>) => (Object.keys(hp).length ? JSON.stringify(hp, null, 2) : '');

function Pretrain({ onDone }: { onDone: () => void }) {
  const catalog = useAsync(() => Promise.all([listAll<Dataset>('/v1/datasets'), listAll<RewardSpec>('/v1/reward-specs')]), []);
  const [recipe, setRecipe] = useState<Recipe>('tiny-gpt');
  const [name, setName] = useState('base');
  const [dataset, setDataset] = useState('');
  const [evalDataset, setEvalDataset] = useState('');
  const [rewardSpec, setRewardSpec] = useState('');
  const [seed, setSeed] = useState('1');
  const [hp, setHp] = useState(pretty(RECIPES['tiny-gpt']));
  const flow = recipe === 'tiny-flow';
  const { busy, error, run } = useAction();
  const [made, setMade] = useState<Model | null>(null);
  const [datasets, specs] = catalog.data ?? [[], []];

  function submit(e: FormEvent) {
    e.preventDefault();
    setMade(null);
    run(async () => {
      const body: Record<string, unknown> = { name, recipe, seed: Number(seed) };
      if (hp.trim()) {
        try {
          body.hyperparameters = JSON.parse(hp);
        } catch (err) {
          throw new ApiError(422, 'invalid_json', 'Hyperparameters are not valid JSON', [{ pointer: '/hyperparameters', detail: (err as Error).message }]);
        }
      }
      // tiny-flow trains on the Fashion-MNIST subset shipped with the service: no dataset, no eval set, no spec
      if (!flow) {
        body.dataset = dataset;
        if (evalDataset) body.eval_dataset = evalDataset;
        if (rewardSpec) body.reward_spec = rewardSpec;
      }
      setMade(await api.post<Model>('/v1/models', body));
      onDone();
    });
  }
  const errs = error instanceof ApiError ? error.byPointer() : {};
  const hpErrors = error instanceof ApiError ? error.errors.filter((x) => x.pointer.startsWith('/hyperparameters')).map((x) => `${x.pointer.replace('/hyperparameters/', '')}: ${x.detail}`) : [];
  const opt = (list: { id: string; name: string }[]) => list.map((d) => <option key={d.id} value={d.id}>{d.name} ({d.id})</option>);
  return (
    <details className="card">
      <summary>Pretrain a base model (tiny-gpt or tiny-flow)</summary>
      <form onSubmit={submit} aria-label="Pretrain a model">
        <ErrorBox error={catalog.error} />
        <div className="row">
          <Field label="Recipe" error={errs['/recipe']}
            help={flow ? 'A class-conditional image model on the shipped Fashion-MNIST subset, with its reward and gold classifiers.' : 'A character-level language model on a corpus.'}>
            {(p) => (
              <select {...p} value={recipe} onChange={(e) => { const r = e.target.value as Recipe; setRecipe(r); setHp(pretty(RECIPES[r])); }}>
                {Object.keys(RECIPES).map((r) => <option key={r}>{r}</option>)}
              </select>
            )}
          </Field>
          <Field label="Name" error={errs['/name']}>{(p) => <input {...p} value={name} onChange={(e) => setName(e.target.value)} />}</Field>
          {!flow && (
            <Field label="Corpus" error={errs['/dataset']}>
              {(p) => <select {...p} value={dataset} onChange={(e) => setDataset(e.target.value)}><option value="">choose…</option>{opt(datasets.filter((d) => d.purpose === 'corpus'))}</select>}
            </Field>
          )}
          <Field label="Seed" error={errs['/seed']}>{(p) => <input {...p} inputMode="numeric" value={seed} onChange={(e) => setSeed(e.target.value)} />}</Field>
        </div>
        {!flow && <div className="row">
          <Field label="Eval prompts" help="Optional, with a reward spec: logs eval/accuracy (and stop_at_accuracy can stop on it)." error={errs['/eval_dataset']}>
            {(p) => <select {...p} value={evalDataset} onChange={(e) => setEvalDataset(e.target.value)}><option value="">(none)</option>{opt(datasets.filter((d) => d.purpose === 'prompts'))}</select>}
          </Field>
          <Field label="Reward spec" error={errs['/reward_spec']}>
            {(p) => <select {...p} value={rewardSpec} onChange={(e) => setRewardSpec(e.target.value)}><option value="">(none)</option>{opt(specs)}</select>}
          </Field>
        </div>}
        <Field label="Hyperparameters (JSON)" error={hpErrors.join('\n') || undefined}
          help={flow ? 'Optional; empty = the recipe defaults. Network: image_size, channels, levels, embed_dim, groups; training: max_steps, batch_size, eval_interval, classifier_steps, … as in the README.'
            : 'Model shape n_layer, n_embd, n_head, block_size; training knobs as in the README.'}>
          {(p) => <textarea {...p} className="code" rows={6} spellCheck={false} value={hp} placeholder="{}" onChange={(e) => setHp(e.target.value)} />}
        </Field>
        <button type="submit" disabled={busy}>{busy ? 'Submitting…' : 'Pretrain'}</button>
        {made && <p role="status">Pretraining <code>{made.id}</code>: <Link to={`/jobs/${(made as Model & { job: string }).job}`}>watch its job</Link>.</p>}
        <ErrorBox error={error} title="Not accepted" hideFieldErrors />
      </form>
    </details>
  );
}

export interface Lineage {
  model: Model;
  children: Lineage[];
}

/** Models as trees: bases at the roots, aligned models under their parent, checkpoints under their job's result. */
export function lineage(models: Model[]): Lineage[] {
  const byId = new Map(models.map((m) => [m.id, { model: m, children: [] as Lineage[] }]));
  // A checkpoint model shares its job with the job's result model (the one without a checkpoint of its own
  // suffix "@step"); hang it under that result when it is listed, else under the parent.
  const resultOfJob = new Map<string, string>();
  for (const m of models) if (m.job && m.parent && !/@\d+$/.test(m.name)) resultOfJob.set(m.job, m.id);
  const roots: Lineage[] = [];
  for (const m of models) {
    const node = byId.get(m.id)!;
    const isCheckpoint = /@\d+$/.test(m.name);
    const parentId = isCheckpoint && m.job && resultOfJob.has(m.job) ? resultOfJob.get(m.job)! : m.parent;
    const parent = parentId ? byId.get(parentId) : undefined;
    if (parent && parent !== node) parent.children.push(node);
    else roots.push(node);
  }
  return roots;
}

function Node({ node }: { node: Lineage }) {
  const m = node.model;
  const isCheckpoint = isCheckpointModel(m);
  return (
    <li>
      <div className={`model-row${isCheckpoint ? ' checkpoint' : ''}`}>
        <strong>{m.name}</strong> <code>{m.id}</code> <span className="badge">{m.family}</span> <StatusBadge status={m.status} />
        {m.parameters != null && <span className="muted">{(m.parameters / 1e6).toFixed(2)}M params</span>}
        <span className="muted">{age(m.created_at)}</span>
        {m.job && (
          <Link to={`/jobs/${m.job}`} aria-label={`Job of ${m.name}`}>
            job
          </Link>
        )}
        {m.classes && m.family === 'image-classifier' && <span className="muted">{m.classes.length} classes</span>}
        {m.status === 'ready' && PLAYABLE.includes(m.family) && (
          <Link to={`/playground?${m.parent ? `left=${m.parent}&` : ''}right=${m.id}`} aria-label={`Open ${m.name} in the playground`}>
            Open in playground
          </Link>
        )}
        {m.status === 'ready' && PLAYABLE.includes(m.family) && (
          <Link to={`/jobs/new?model=${m.id}`} aria-label={`Align ${m.name}`}>
            Align…
          </Link>
        )}
      </div>
      {node.children.length > 0 && (
        <ul>
          {node.children.filter((c) => !isCheckpointModel(c.model)).map((c) => (
            <Node key={c.model.id} node={c} />
          ))}
          {checkpointsByJob(node.children).map(([job, ckpts]) => (
            <li key={job}>
              <details>
                <summary>
                  {ckpts.length} checkpoint{ckpts.length === 1 ? '' : 's'} of job <code>{job}</code>: {ckpts[0].model.name}
                  {ckpts.length > 1 && <> … {ckpts[ckpts.length - 1].model.name}</>}
                </summary>
                <ul>
                  {[...ckpts].reverse().map((c) => (
                    <Node key={c.model.id} node={c} />
                  ))}
                </ul>
              </details>
            </li>
          ))}
        </ul>
      )}
    </li>
  );
}

const isCheckpointModel = (m: Model) => /@\d+$/.test(m.name);
const stepOf = (m: Model) => Number(/@(\d+)$/.exec(m.name)?.[1] ?? 0);

/** Checkpoint models among `nodes`, by job, each in step order (a run can save hundreds: they fold away). */
export function checkpointsByJob(nodes: Lineage[]): [string, Lineage[]][] {
  const byJob = new Map<string, Lineage[]>();
  for (const n of nodes) {
    if (!isCheckpointModel(n.model)) continue;
    const job = n.model.job ?? '?';
    byJob.set(job, [...(byJob.get(job) ?? []), n]);
  }
  return [...byJob.entries()].map(([job, list]) => [job, list.sort((x, y) => stepOf(x.model) - stepOf(y.model))]);
}

export function Models() {
  const models = useAsync(() => listAll<Model>('/v1/models'), [], 5000);
  return (
    <section>
      <h1>Models</h1>
      <p className="muted">Lineage: each base model, the models aligned from it, and their checkpoints (name@step).</p>
      <Pretrain onDone={models.reload} />
      <ErrorBox error={models.error} title="Could not load models" />
      {models.loading && !models.data ? (
        <Loading what="Loading models" />
      ) : models.data && models.data.length === 0 ? (
        <Empty>No models yet. Pretrain one above (recipe tiny-gpt or tiny-flow) or with POST /v1/models.</Empty>
      ) : (
        models.data && (
          <ul className="lineage" aria-label="Model lineage">
            {lineage(models.data).map((n) => (
              <Node key={n.model.id} node={n} />
            ))}
          </ul>
        )
      )}
    </section>
  );
}
