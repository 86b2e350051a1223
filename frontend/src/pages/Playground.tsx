import { useState, type FormEvent } from 'react';
import { useSearchParams } from 'react-router-dom';
import { api, ApiError, listAll, type Model } from '../api';
import { Empty, ErrorBox, Field, Loading, useAsync } from '../components/ui';

type Output = { texts?: string[]; images?: string[]; error?: unknown; ms?: number };

/** What a side produces: text from language models, images from flow-matching ones. */
export function kindOf(models: Model[], id: string): 'text' | 'image' {
  return models.find((m) => m.id === id)?.family === 'flow-matching' ? 'image' : 'text';
}

async function generate(model: string, kind: 'text' | 'image', prompt: string, seed: number, temperature: number, maxTokens: number, n: number): Promise<Output> {
  const t0 = performance.now();
  if (kind === 'image') {
    const r = await api.post<{ data: { b64_json?: string; url?: string }[] }>('/v1/images/generations', {
      model, prompt, n, seed, response_format: 'b64_json',
    });
    return { images: r.data.map((d) => (d.b64_json ? `data:image/png;base64,${d.b64_json}` : d.url ?? '')), ms: performance.now() - t0 };
  }
  const r = await api.post<{ choices: { index: number; text: string }[] }>('/v1/completions', {
    model, prompt, seed, temperature, max_tokens: maxTokens, n,
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
      <Field label={label} error={err}>
        {(p) => (
          <select {...p} value={value} onChange={(e) => onChange(e.target.value)}>
            <option value="">choose…</option>
            {!known && value && <option value={value}>{value}</option>}
            {models.map((m) => (
              <option key={m.id} value={m.id}>
                {m.name} ({m.family === 'flow-matching' ? 'images' : m.id})
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
              <img key={i} src={src} alt={`Image ${i + 1} from ${value}`} />
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

export function Playground() {
  const [params, setParams] = useSearchParams();
  const models = useAsync(() => listAll<Model>('/v1/models'), []);
  const usable = (models.data ?? []).filter((m) => m.status === 'ready' && (m.family === 'language-model' || m.family === 'flow-matching'));
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
  const [busy, setBusy] = useState(false);
  const [outputs, setOutputs] = useState<Record<string, Output>>({});

  async function run(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setOutputs({});
    const all = models.data ?? [];
    const sides = [['left', left], ['right', right]].filter(([, id]) => id);
    const results = await Promise.all(
      sides.map(([side, id]) =>
        generate(id, kindOf(all, id), prompt, Number(seed), Number(temperature), Number(maxTokens), Number(n))
          .catch((error) => ({ error }))
          .then((o) => [side, o] as const),
      ),
    );
    setOutputs(Object.fromEntries(results));
    setBusy(false);
  }

  if (models.loading && !models.data) return <Loading what="Loading models" />;
  return (
    <section>
      <h1>Playground</h1>
      <p className="muted">Two models side by side on the same prompt and seed: a base model and one aligned from it, or any two checkpoints.</p>
      <ErrorBox error={models.error} title="Could not load models" />
      {usable.length === 0 && !models.error && <Empty>No ready model to try yet.</Empty>}
      <form onSubmit={run} aria-label="Playground" className="card">
        <div className="row">
          <Field label="Prompt" className="grow">
            {(p) => <textarea {...p} rows={2} value={prompt} onChange={(e) => setPrompt(e.target.value)} placeholder="e.g. 12+34=" />}
          </Field>
        </div>
        <div className="row">
          <Field label="Seed">{(p) => <input {...p} inputMode="numeric" value={seed} onChange={(e) => setSeed(e.target.value)} />}</Field>
          <Field label="Temperature" help="0 = greedy">{(p) => <input {...p} inputMode="decimal" value={temperature} onChange={(e) => setTemperature(e.target.value)} />}</Field>
          <Field label="Max tokens">{(p) => <input {...p} inputMode="numeric" value={maxTokens} onChange={(e) => setMaxTokens(e.target.value)} />}</Field>
          <Field label="Samples (n)">{(p) => <input {...p} inputMode="numeric" value={n} onChange={(e) => setN(e.target.value)} />}</Field>
        </div>
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
