import { useEffect, useState, type FormEvent } from 'react';
import { Link } from 'react-router-dom';
import { api, ApiError, listAll, PLAYABLE, upload, type Dataset, type Model, type ModelCard, type RewardSpec } from '../api';
import { age, bytes, DownloadButton, Empty, ErrorBox, Field, Loading, StatusBadge, useAction, useAsync } from '../components/ui';
import { AliasChips } from './Aliases';

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
            : 'Model shape n_layer, n_embd, n_head, block_size; tokenizer "char" or "gpt2" (GPT-2\'s BPE); training knobs as in the README.'}>
          {(p) => <textarea {...p} className="code" rows={6} spellCheck={false} value={hp} placeholder="{}" onChange={(e) => setHp(e.target.value)} />}
        </Field>
        <button type="submit" disabled={busy}>{busy ? 'Submitting…' : 'Pretrain'}</button>
        {made && <p role="status">Pretraining <code>{made.id}</code>: <Link to={`/jobs/${(made as Model & { job: string }).job}`}>watch its job</Link>.</p>}
        <ErrorBox error={error} title="Not accepted" hideFieldErrors />
      </form>
    </details>
  );
}

/** A count as people say it: 7.36K, 124.4M, 1.10B (the exact number in a title). */
export function formatCount(n: number): string {
  const a = Math.abs(n);
  if (a < 1e3) return String(n);
  const [div, unit] = a < 1e6 ? [1e3, 'K'] : a < 1e9 ? [1e6, 'M'] : [1e9, 'B'];
  const v = n / div;
  return `${v.toFixed(Math.abs(v) < 10 ? 2 : Math.abs(v) < 100 ? 1 : 0)}${unit}`;
}

/** How often the import form asks whether its model is still `importing`. */
export const IMPORT_POLL_MS = 1000;

/**
 * Imports a HuggingFace model directory as an archive: the upload's progress (bytes sent), then the model while
 * it is `importing`, until it is ready or failed (with the reason).
 */
function ImportModel({ onDone }: { onDone: () => void }) {
  const [name, setName] = useState('');
  const [file, setFile] = useState<File | null>(null);
  const [sent, setSent] = useState<{ loaded: number; total: number } | null>(null);
  const [model, setModel] = useState<Model | null>(null);
  const [pollError, setPollError] = useState<unknown>(null);
  const { busy, error, run } = useAction();

  function submit(e: FormEvent) {
    e.preventDefault();
    if (!file) return;
    setModel(null);
    setPollError(null);
    setSent({ loaded: 0, total: file.size });
    run(async () => {
      const form = new FormData();
      form.append('file', file);
      form.append('name', name.trim());
      try {
        setModel(await upload<Model>('/v1/models', form, (loaded, total) => setSent({ loaded, total })));
      } catch (err) {
        setSent(null);
        throw err;
      }
      onDone();
    });
  }

  // follows the accepted model until its import has ended
  const importing = model?.status === 'importing';
  useEffect(() => {
    if (!importing || !model) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const controller = new AbortController();
    const poll = () => {
      api.get<Model>(`/v1/models/${model.id}`, { signal: controller.signal })
        .then((m) => {
          setPollError(null);
          if (m.status === 'importing') timer = setTimeout(poll, IMPORT_POLL_MS);
          else {
            setModel(m);
            onDone();
          }
        })
        .catch((err) => {
          if (controller.signal.aborted) return;
          setPollError(err);
          timer = setTimeout(poll, IMPORT_POLL_MS);
        });
    };
    timer = setTimeout(poll, IMPORT_POLL_MS);
    return () => {
      controller.abort();
      clearTimeout(timer);
    };
  }, [importing, model?.id, onDone]);

  const errs = error instanceof ApiError ? error.byPointer() : {};
  const pct = sent && sent.total > 0 ? Math.floor((100 * sent.loaded) / sent.total) : 0;
  return (
    <details className="card">
      <summary>Import a HuggingFace model (gpt2, llama, qwen2)</summary>
      <form onSubmit={submit} aria-label="Import a model">
        <p className="muted">
          A <code>.tar</code>, <code>.tar.gz</code> or <code>.zip</code> of the model directory: <code>config.json</code>,{' '}
          <code>model.safetensors</code> (or shards with their index; F32, F16 or BF16), <code>tokenizer.json</code> and optionally{' '}
          <code>tokenizer_config.json</code> with its chat template. Pickle <code>.bin</code> weights and remote code are refused.
        </p>
        <div className="row">
          <Field label="Model name" error={errs['/name']}>{(p) => <input {...p} value={name} onChange={(e) => setName(e.target.value)} />}</Field>
          <Field label="Model archive" error={errs['/file']}>
            {(p) => <input {...p} type="file" accept=".tar,.tar.gz,.tgz,.zip" onChange={(e) => setFile(e.target.files?.[0] ?? null)} />}
          </Field>
        </div>
        <button type="submit" disabled={!file || busy}>{busy ? 'Uploading…' : 'Import'}</button>
        {sent && (
          <div className="progress upload-progress">
            <progress max={100} value={pct} aria-label="Upload progress" />
            <span data-testid="upload-sent">{pct}% ({bytes(sent.loaded)} of {bytes(sent.total)} sent)</span>
          </div>
        )}
        {model && (
          <p role="status">
            {model.status === 'importing' ? <>Importing <code>{model.id}</code>: copying it into storage…{copied(model)}</>
              : model.status === 'ready' ? <>Imported <code>{model.id}</code>: ready.</>
              : <>Import of <code>{model.id}</code> {model.status}{model.import?.error ? `: ${model.import.error}` : '.'}</>}
          </p>
        )}
        <ErrorBox error={pollError} title="Could not follow the import" />
        <ErrorBox error={error} title="Not imported" hideFieldErrors={Object.keys(errs).every((k) => k === '/file' || k === '/name')} />
      </form>
    </details>
  );
}

/** " 40% (x of y)" of an importing model's copy into storage, or nothing before the service reports it. */
function copied(model: Model): string {
  const p = model.import?.progress;
  if (!p || p.bytes_total <= 0) return '';
  return ` ${Math.floor(100 * p.fraction)}% (${bytes(p.bytes_copied)} of ${bytes(p.bytes_total)})`;
}

/** An imported model's card: what the import read from its config, weights and tokenizer. */
export function ModelCardView({ model }: { model: Model }) {
  const imp = model.import;
  if (!imp) return null;
  const card: ModelCard | null = imp.card;
  return (
    <div className="model-card" aria-label={`Model card of ${model.name}`} role="group">
      {model.status === 'importing' && (
        <p className="loading" role="status"><span className="spinner" aria-hidden="true" /> Importing: copying the files into storage…{copied(model)}</p>
      )}
      {model.status === 'failed' && imp.error && <p className="field-error" role="alert">Import failed: {imp.error}</p>}
      {card && (
        <details>
          <summary>
            Model card: <code>{card.architecture}</code> · {formatCount(card.parameters)} params · {card.dtype} · {card.tokenizer} tokenizer
            {card.chat_template ? ' · chat template' : ''}
          </summary>
          <dl className="facts">
            <dt>Architecture</dt>
            <dd><code>{card.architecture}</code></dd>
            <dt>Parameters</dt>
            <dd>{formatCount(card.parameters)} ({card.parameters.toLocaleString('en-US')})</dd>
            <dt>Vocabulary</dt>
            <dd>{card.vocab_size.toLocaleString('en-US')} tokens</dd>
            <dt>Context length</dt>
            <dd>{card.context_length.toLocaleString('en-US')} tokens</dd>
            <dt>Weights dtype</dt>
            <dd>{card.dtype}</dd>
            <dt>Tokenizer</dt>
            <dd>{card.tokenizer}</dd>
            <dt>Chat template</dt>
            <dd>
              {card.chat_template ? (
                <details>
                  <summary>yes: show it</summary>
                  <pre className="code" aria-label={`Chat template of ${model.name}`}>{card.chat_template}</pre>
                </details>
              ) : 'none'}
            </dd>
            <dt>Checks</dt>
            <dd>
              <details>
                <summary>{card.checks.length} passed</summary>
                <ul className="checks">{card.checks.map((c, i) => <li key={i}>{c}</li>)}</ul>
              </details>
            </dd>
            <dt>Source</dt>
            <dd>{imp.source}, {age(imp.created_at)}</dd>
          </dl>
        </details>
      )}
    </div>
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

/** Downloads a ready language model as a HuggingFace directory (a tar), saved under the server's file name. */
export function ExportButton({ model }: { model: Model }) {
  return (
    <DownloadButton path={`/v1/models/${model.id}/export?format=hf`} fallbackName={`${model.name}-hf.tar`} label="Export (HF)" busyLabel="Exporting…"
      ariaLabel={`Export ${model.name} (HF)`} title="A tar of config.json, model.safetensors and the tokenizer (a tiny-gpt as gpt2)" failure="Export failed" />
  );
}

function Node({ node }: { node: Lineage }) {
  const m = node.model;
  const isCheckpoint = isCheckpointModel(m);
  // imported models (and models aligned from them) are served and trained like the others
  const playable = m.status === 'ready' && PLAYABLE.includes(m.family);
  const exportable = m.status === 'ready' && m.family === 'language-model';
  return (
    <li>
      <div className={`model-row${isCheckpoint ? ' checkpoint' : ''}`}>
        <strong>{m.name}</strong> <code>{m.id}</code> <AliasChips aliases={m.aliases} /> <span className="badge">{m.family}</span> <StatusBadge status={m.status} />
        {m.parameters != null && <span className="muted">{formatCount(m.parameters)} params</span>}
        <span className="muted">{age(m.created_at)}</span>
        {m.job && (
          <Link to={`/jobs/${m.job}`} aria-label={`Job of ${m.name}`}>
            job
          </Link>
        )}
        {m.classes && m.family === 'image-classifier' && <span className="muted">{m.classes.length} classes</span>}
        {playable && (
          <Link to={`/playground?${m.parent ? `left=${m.parent}&` : ''}right=${m.id}`} aria-label={`Open ${m.name} in the playground`}>
            Open in playground
          </Link>
        )}
        {playable && (
          <Link to={`/jobs/new?model=${m.id}`} aria-label={`Align ${m.name}`}>
            Align…
          </Link>
        )}
        {exportable && <ExportButton model={m} />}
      </div>
      <ModelCardView model={m} />
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
      <ImportModel onDone={models.reload} />
      <ErrorBox error={models.error} title="Could not load models" />
      {models.loading && !models.data ? (
        <Loading what="Loading models" />
      ) : models.data && models.data.length === 0 ? (
        <Empty>No models yet. Pretrain one above (recipe tiny-gpt or tiny-flow), import a HuggingFace model, or use POST /v1/models.</Empty>
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
