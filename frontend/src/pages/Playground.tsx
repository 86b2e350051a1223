import { useState, type FormEvent } from 'react';
import { useSearchParams } from 'react-router-dom';
import { api, ApiError, listAll, PLAYABLE, type Model, type RewardSpec } from '../api';
import { Empty, ErrorBox, Field, fmt, Loading, useAsync } from '../components/ui';

type Output = { texts?: string[]; images?: string[]; rewards?: number[]; error?: unknown; ms?: number };

/** The model a side names: by model id, or by checkpoint id (a checkpoint of a job is also a model). */
export function modelOf(models: Model[], id: string): Model | undefined {
  return models.find((m) => m.id === id) ?? models.find((m) => m.checkpoint === id && PLAYABLE.includes(m.family));
}

/** What a side produces: text from language models, images from flow-matching ones. */
export function kindOf(models: Model[], id: string): 'text' | 'image' {
  return modelOf(models, id)?.family === 'flow-matching' ? 'image' : 'text';
}

/** What one Generate asks of each side (both get the same prompt and seed). */
export interface Settings {
  prompt: string;
  seed: number;
  n: number;
  temperature: number;
  maxTokens: number;
  /** Image models: optional sampler steps and guidance (the model's defaults when undefined). */
  steps?: number;
  guidance?: number;
  /** Image models: optional inference-time steering towards a reward spec. */
  steering?: { type: 'best_of_n' | 'fk'; reward_spec: string; particles: number };
}

/** The body of POST /v1/images/generations for `s`. */
export function imageRequest(model: string, s: Settings): Record<string, unknown> {
  const body: Record<string, unknown> = { model, prompt: s.prompt, n: s.n, seed: s.seed, response_format: 'b64_json' };
  if (s.steps !== undefined) body.steps = s.steps;
  if (s.guidance !== undefined) body.guidance_scale = s.guidance;
  if (s.steering) body.steering = s.steering;
  return body;
}

async function generate(model: string, kind: 'text' | 'image', s: Settings): Promise<Output> {
  const t0 = performance.now();
  if (kind === 'image') {
    const r = await api.post<{ data: { b64_json?: string }[]; tropism?: { rewards?: number[] } }>('/v1/images/generations',
      imageRequest(model, s));
    return {
      images: r.data.map((d) => `data:image/png;base64,${d.b64_json ?? ''}`),
      rewards: r.tropism?.rewards,
      ms: performance.now() - t0,
    };
  }
  const r = await api.post<{ choices: { index: number; text: string }[] }>('/v1/completions', {
    model, prompt: s.prompt, seed: s.seed, temperature: s.temperature, max_tokens: s.maxTokens, n: s.n,
  });
  return { texts: r.choices.sort((a, b) => a.index - b.index).map((c) => c.text), ms: performance.now() - t0 };
}

function Side({ label, value, onChange, models, output, busy }: {
  label: string;
  value: string;
  onChange: (v: string) => void;
  models: Model[];
  output?: Output;
  busy: boolean;
}) {
  const known = models.some((m) => m.id === value);
  const err = output?.error instanceof ApiError && output.error.errors.some((e) => e.pointer === '/model') ? output.error.message : undefined;
  return (
    <div className="side card">
      <Field label={label} error={err} help={value ? <code>{value}</code> : undefined}>
        {(p) => (
          <select {...p} value={value} onChange={(e) => onChange(e.target.value)}>
            <option value="">choose…</option>
            {!known && value && <option value={value}>{modelOf(models, value)?.name ?? value}</option>}
            {models.map((m) => (
              <option key={m.id} value={m.id} title={m.id}>
                {m.name} ({m.family === 'flow-matching' ? 'images' : 'text'})
              </option>
            ))}
          </select>
        )}
      </Field>
      <div className="output" aria-live="polite" aria-label={`${label} output`}>
        {busy ? (
          <Loading what="Generating" />
        ) : output?.error && !err ? (
          <ErrorBox error={output.error} title="Generation failed" />
        ) : output?.texts ? (
          <ol className="completions-list">
            {output.texts.map((t, i) => (
              <li key={i}>
                <pre>{t || '∅ (empty completion)'}</pre>
              </li>
            ))}
          </ol>
        ) : output?.images ? (
          <div className="grids">
            {output.images.map((src, i) => (
              <figure key={i}>
                <img src={src} alt={`Image ${i + 1} from ${value}`} />
                <figcaption>
                  #{i + 1}
                  {output.rewards?.[i] !== undefined && <> · reward <span data-testid="image-reward">{fmt(output.rewards[i], 3)}</span></>}
                </figcaption>
              </figure>
            ))}
          </div>
        ) : (
          <p className="muted">No output yet.</p>
        )}
        {output?.ms !== undefined && !busy && <small className="muted">{Math.round(output.ms)} ms</small>}
      </div>
    </div>
  );
}

const optionalNumber = (raw: string) => (raw.trim() === '' ? undefined : Number(raw));

export function Playground() {
  const [params, setParams] = useSearchParams();
  const catalog = useAsync(() => Promise.all([listAll<Model>('/v1/models'), listAll<RewardSpec>('/v1/reward-specs')]), []);
  const [all, specs] = catalog.data ?? [[], []];
  const usable = all.filter((m) => m.status === 'ready' && PLAYABLE.includes(m.family));
  const left = params.get('left') ?? '';
  const right = params.get('right') ?? '';
  const setSide = (key: 'left' | 'right', v: string) => {
    const next = new URLSearchParams(params);
    if (v) next.set(key, v);
    else next.delete(key);
    setParams(next, { replace: true });
  };
  const [prompt, setPrompt] = useState('');
  const [seed, setSeed] = useState('1');
  const [temperature, setTemperature] = useState('0.7');
  const [maxTokens, setMaxTokens] = useState('8');
  const [n, setN] = useState('1');
  const [steps, setSteps] = useState('');
  const [guidance, setGuidance] = useState('');
  const [steering, setSteering] = useState('');
  const [steeringSpec, setSteeringSpec] = useState('');
  const [particles, setParticles] = useState('4');
  const [busy, setBusy] = useState(false);
  const [outputs, setOutputs] = useState<Record<string, Output>>({});

  // An image model on either side turns the prompt into a choice among its classes (when they are known).
  const imageSides = [left, right].filter((id) => id && kindOf(all, id) === 'image');
  const imageMode = imageSides.length > 0;
  const classes = imageSides.map((id) => modelOf(all, id)?.classes).find((c) => c && c.length > 0) ?? null;
  const promptValue = imageMode && classes && !classes.includes(prompt) ? classes[0] : prompt;

  async function run(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setOutputs({});
    const settings: Settings = {
      prompt: promptValue, seed: Number(seed), n: Number(n), temperature: Number(temperature), maxTokens: Number(maxTokens),
      steps: optionalNumber(steps), guidance: optionalNumber(guidance),
      steering: steering ? { type: steering as 'best_of_n' | 'fk', reward_spec: steeringSpec, particles: Number(particles) } : undefined,
    };
    const sides = [['left', left], ['right', right]].filter(([, id]) => id);
    const results = await Promise.all(
      sides.map(([side, id]) =>
        generate(id, kindOf(all, id), settings)
          .catch((error) => ({ error }))
          .then((o) => [side, o] as const),
      ),
    );
    setOutputs(Object.fromEntries(results));
    setBusy(false);
  }

  if (catalog.loading && !catalog.data) return <Loading what="Loading models" />;
  return (
    <section>
      <h1>Playground</h1>
      <p className="muted">
        Two models side by side on the same prompt and seed: a base model and one aligned from it, or any two checkpoints.
        Image models take a class name and draw from the same noise on both sides.
      </p>
      <ErrorBox error={catalog.error} title="Could not load models" />
      {usable.length === 0 && !catalog.error && <Empty>No ready model to try yet.</Empty>}
      <form onSubmit={run} aria-label="Playground" className="card">
        <div className="row">
          {imageMode && classes ? (
            <Field label="Class" help="The prompt of an image model: one of its classes.">
              {(p) => (
                <select {...p} value={promptValue} onChange={(e) => setPrompt(e.target.value)}>
                  {classes.map((c) => <option key={c}>{c}</option>)}
                </select>
              )}
            </Field>
          ) : (
            <Field label="Prompt" className="grow">
              {(p) => <textarea {...p} rows={2} value={prompt} onChange={(e) => setPrompt(e.target.value)} placeholder={imageMode ? 'a class name, e.g. sneaker' : 'e.g. 12+34='} />}
            </Field>
          )}
        </div>
        <div className="row">
          <Field label="Seed">{(p) => <input {...p} inputMode="numeric" value={seed} onChange={(e) => setSeed(e.target.value)} />}</Field>
          {!imageMode || imageSides.length < [left, right].filter(Boolean).length ? (
            <>
              <Field label="Temperature" help="0 = greedy">{(p) => <input {...p} inputMode="decimal" value={temperature} onChange={(e) => setTemperature(e.target.value)} />}</Field>
              <Field label="Max tokens">{(p) => <input {...p} inputMode="numeric" value={maxTokens} onChange={(e) => setMaxTokens(e.target.value)} />}</Field>
            </>
          ) : null}
          {imageMode && (
            <>
              <Field label="Steps" help="Euler steps; empty = the model's own.">{(p) => <input {...p} inputMode="numeric" value={steps} onChange={(e) => setSteps(e.target.value)} />}</Field>
              <Field label="Guidance" help="CFG scale; empty = the model's own.">{(p) => <input {...p} inputMode="decimal" value={guidance} onChange={(e) => setGuidance(e.target.value)} />}</Field>
            </>
          )}
          <Field label={imageMode ? 'Images (n)' : 'Samples (n)'}>{(p) => <input {...p} inputMode="numeric" value={n} onChange={(e) => setN(e.target.value)} />}</Field>
        </div>
        {imageMode && (
          <div className="row">
            <Field label="Steering" help="Optional: steer each image towards a reward spec at inference time.">
              {(p) => (
                <select {...p} value={steering} onChange={(e) => setSteering(e.target.value)}>
                  <option value="">none</option>
                  <option value="best_of_n">best_of_n (best of N candidates)</option>
                  <option value="fk">fk (Feynman–Kac particles)</option>
                </select>
              )}
            </Field>
            {steering && (
              <>
                <Field label="Steering reward spec" help="Scores each candidate image with item {prompt: class}.">
                  {(p) => (
                    <select {...p} value={steeringSpec} onChange={(e) => setSteeringSpec(e.target.value)}>
                      <option value="">choose…</option>
                      {specs.map((s) => <option key={s.id} value={s.id} title={s.id}>{s.name}</option>)}
                    </select>
                  )}
                </Field>
                <Field label="Particles" help="Candidates per image.">{(p) => <input {...p} inputMode="numeric" value={particles} onChange={(e) => setParticles(e.target.value)} />}</Field>
              </>
            )}
          </div>
        )}
        <button type="submit" disabled={busy || (!left && !right)}>
          {busy ? 'Generating…' : 'Generate'}
        </button>
      </form>
      <div className="sides">
        <Side label="Left model" value={left} onChange={(v) => setSide('left', v)} models={usable} output={outputs.left} busy={busy && !!left} />
        <Side label="Right model" value={right} onChange={(v) => setSide('right', v)} models={usable} output={outputs.right} busy={busy && !!right} />
      </div>
    </section>
  );
}
