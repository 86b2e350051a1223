import { useEffect, useState } from 'react';
import { Link, useParams } from 'react-router-dom';
import {
  api, ApiError, blobUrl, firstLines, followSse, TERMINAL,
  type Checkpoint, type Job, type JobEvent, type ListResponse, type Model, type Sample,
} from '../api';
import { MetricChart } from '../components/Chart';
import { age, Empty, ErrorBox, errorText, Loading, StatusBadge, useAsync } from '../components/ui';
import { groupCharts, mergeStep, type MetricMap } from '../metrics';
import { LostBadge, Progress, resourcesText, waitReason } from './Jobs';
import { JobSpendCard } from './JobSpendCard';

const isSpeed = (chart: string) => chart.startsWith('perf/');

type StreamState = 'connecting' | 'live' | 'ended' | 'error';

/** Follows an SSE endpoint for as long as the page is open; `restart` reconnects after an error. */
function useStream(path: string, onMessage: (event: string, data: string) => void, deps: unknown[]) {
  const [state, setState] = useState<StreamState>('connecting');
  const [error, setError] = useState<unknown>(null);
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    const controller = new AbortController();
    setState('connecting');
    setError(null);
    let first = true;
    followSse(path, (m) => {
      if (first) {
        first = false;
        setState('live');
      }
      onMessage(m.event, m.data);
    }, controller.signal)
      .then(() => !controller.signal.aborted && setState('ended'))
      .catch((e) => {
        if (controller.signal.aborted) return;
        setError(e);
        setState('error');
      });
    // A stream that has sent nothing yet is still live (a queued job has no metrics).
    const t = setTimeout(() => !controller.signal.aborted && setState((s) => (s === 'connecting' ? 'live' : s)), 1500);
    return () => {
      controller.abort();
      clearTimeout(t);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [path, attempt, ...deps]);
  return { state, error, restart: () => setAttempt((a) => a + 1) };
}

function StreamStatus({ state, error, restart }: { state: StreamState; error: unknown; restart: () => void }) {
  if (state === 'error') {
    return (
      <span className="stream error" role="alert">
        stream lost: {errorText(error)}{' '}
        <button type="button" className="link" onClick={restart}>
          reconnect
        </button>
      </span>
    );
  }
  return <span className={`stream ${state}`}>{state === 'live' ? '● live' : state === 'ended' ? 'complete' : 'connecting…'}</span>;
}

export function JobDetail() {
  const { id = '' } = useParams();
  const job = useAsync((signal) => api.get<Job>(`/v1/jobs/${id}`, { signal }), [id]);
  const status = job.data?.status;
  const terminal = status !== undefined && TERMINAL.includes(status);

  // The job row itself refreshes while it can still change.
  useEffect(() => {
    if (terminal || !job.data) return;
    const t = setTimeout(job.reload, 2000);
    return () => clearTimeout(t);
  }, [job.data, terminal, job.reload]);

  const [metrics, setMetrics] = useState<MetricMap>({});
  const metricStream = useStream(`/v1/jobs/${id}/metrics`, (event, data) => {
    if (event !== 'metrics') return;
    const m = JSON.parse(data) as { step: number; metrics: Record<string, number> };
    setMetrics((old) => mergeStep(old, m.step, m.metrics));
  }, []);

  const [events, setEvents] = useState<JobEvent[]>([]);
  const [checkpointTick, setCheckpointTick] = useState(0);
  const eventStream = useStream(`/v1/jobs/${id}/events`, (_event, data) => {
    const e = JSON.parse(data) as JobEvent;
    setEvents((old) => (old.some((o) => o.id === e.id) ? old : [...old, e]));
    if (e.type === 'checkpoint.saved' || e.type.startsWith('job.') || e.type.endsWith('budget_exceeded')) {
      setCheckpointTick((t) => t + 1);
      job.reload();
    }
  }, []);
  useEffect(() => {
    setMetrics({});
    setEvents([]);
  }, [id]);

  const [filter, setFilter] = useState('');
  const [action, setAction] = useState<{ busy?: string; error?: unknown }>({});
  async function act(verb: 'cancel' | 'pause' | 'resume') {
    setAction({ busy: verb });
    try {
      job.setData(await api.post<Job>(`/v1/jobs/${id}/${verb}`));
      setAction({});
    } catch (e) {
      setAction({ error: e });
    }
  }

  if (job.loading && !job.data) return <Loading what="Loading job" />;
  if (!job.data) return <ErrorBox error={job.error} title="Could not load the job" />;
  const j = job.data;
  const reason = waitReason(j);
  const resources = resourcesText(j.resources);
  const charts = groupCharts(metrics).filter((c) => !filter || c.names.some((n) => n.includes(filter)) || c.title.includes(filter));

  return (
    <section>
      <div className="page-head">
        <h1>
          Job <code>{j.id}</code> <StatusBadge status={j.status} />
        </h1>
        <div className="actions" role="group" aria-label="Job controls">
          <button type="button" onClick={() => act('pause')} disabled={!!action.busy || !['queued', 'running'].includes(j.status)}>
            Pause
          </button>
          <button type="button" onClick={() => act('resume')} disabled={!!action.busy || j.status !== 'paused'}>
            Resume
          </button>
          <button type="button" className="danger" onClick={() => act('cancel')} disabled={!!action.busy || terminal}>
            {action.busy === 'cancel' ? 'Cancelling…' : 'Cancel'}
          </button>
        </div>
      </div>
      <ErrorBox error={action.error} title="The job did not accept that" />
      <ErrorBox error={job.error} title="Could not refresh the job" />
      {reason && (
        <p className="waiting" role="status">
          <strong>Waiting:</strong> {reason}
        </p>
      )}
      <dl className="facts">
        <dt>Method</dt>
        <dd>{j.method?.type}</dd>
        <dt>Progress</dt>
        <dd>
          <Progress job={j} />
        </dd>
        <dt>Model</dt>
        <dd>
          <code>{j.model}</code>
        </dd>
        <dt>Dataset</dt>
        <dd>
          <code>{j.dataset}</code>
          {j.eval_dataset && <> · eval <code>{j.eval_dataset}</code></>}
        </dd>
        {j.reward_spec && (
          <>
            <dt>Reward spec</dt>
            <dd>
              <code>{j.reward_spec}</code>
              {j.reward_spec_alias && <span className="muted"> (alias {j.reward_spec_alias})</span>}
              {j.eval_reward_spec && <> · gold <code>{j.eval_reward_spec}</code></>}
              {j.eval_reward_spec_alias && <span className="muted"> (alias {j.eval_reward_spec_alias})</span>}
            </dd>
          </>
        )}
        {resources && (
          <>
            <dt>Resources</dt>
            <dd>{resources}</dd>
          </>
        )}
        {(j.worker || j.attempts > 0) && (
          <>
            <dt>Worker</dt>
            <dd>
              {j.worker ? (
                <>
                  <span title={j.worker.id}>{j.worker.name}</span> <code>{j.worker.id}</code>
                  {j.status !== 'running' && <span className="muted"> (last ran there)</span>}
                </>
              ) : (
                <span className="muted">none now</span>
              )}{' '}
              <LostBadge job={j} />
            </dd>
          </>
        )}
        <dt>Seed</dt>
        <dd>{j.seed}</dd>
        <dt>Created</dt>
        <dd title={j.created_at}>{age(j.created_at)}</dd>
        {j.result_model && (
          <>
            <dt>Result</dt>
            <dd>
              <code>{j.result_model}</code> · <Link to={`/playground?left=${j.model}&right=${j.result_model}`}>compare with its base</Link>
            </dd>
          </>
        )}
        {j.error && (
          <>
            <dt>Error</dt>
            <dd className="field-error">
              {j.error.code}: {j.error.message}
            </dd>
          </>
        )}
      </dl>
      <JobSpendCard job={j} metrics={metrics} events={events} onJob={job.setData} />

      <h2>
        Curves <StreamStatus {...metricStream} />
      </h2>
      <div className="toolbar">
        <label className="inline">
          Filter metrics <input value={filter} onChange={(e) => setFilter(e.target.value)} placeholder="e.g. reward, eval/" />
        </label>
        <span className="muted">Drag across a chart to zoom; double-click to reset.</span>
      </div>
      {charts.length === 0 ? (
        <Empty>{terminal ? 'This job recorded no metrics.' : 'No metrics yet: they appear here as each step finishes.'}</Empty>
      ) : (
        <>
          <div className="charts">
            {charts.filter((c) => !isSpeed(c.title)).map((c) => (
              <MetricChart key={c.title} title={c.title} series={c.names.map((n) => ({ name: n, points: metrics[n] }))} />
            ))}
          </div>
          {charts.some((c) => isSpeed(c.title)) && (
            // speed is for diagnosis, not for judging the run: folded unless asked for (or filtered for)
            <details className="speed" open={filter !== '' || undefined}>
              <summary>Speed and memory (perf/*): {charts.filter((c) => isSpeed(c.title)).length} charts</summary>
              <div className="charts">
                {charts.filter((c) => isSpeed(c.title)).map((c) => (
                  <MetricChart key={c.title} title={c.title} series={c.names.map((n) => ({ name: n, points: metrics[n] }))} />
                ))}
              </div>
            </details>
          )}
        </>
      )}

      <Gallery job={j} checkpointTick={checkpointTick} />

      <div className="two-col">
        <div>
          <h2>
            Events <StreamStatus {...eventStream} />
          </h2>
          {events.length === 0 ? (
            <Empty>No events yet.</Empty>
          ) : (
            <ol className="events" aria-label="Event log">
              {[...events].reverse().map((e) => (
                <li key={e.id} className={`level-${e.level}`}>
                  <time dateTime={e.created_at}>{new Date(e.created_at).toLocaleTimeString()}</time>
                  <code>{e.type}</code> {e.message}
                </li>
              ))}
            </ol>
          )}
        </div>
        <Checkpoints jobId={j.id} tick={checkpointTick} />
      </div>
    </section>
  );
}

function Checkpoints({ jobId, tick }: { jobId: string; tick: number }) {
  const list = useAsync((signal) => api.get<ListResponse<Checkpoint>>(`/v1/jobs/${jobId}/checkpoints`, { signal }), [jobId, tick]);
  return (
    <div>
      <h2>Checkpoints</h2>
      <ErrorBox error={list.error} title="Could not load checkpoints" />
      {list.loading && !list.data ? (
        <Loading what="Loading checkpoints" />
      ) : list.data && list.data.data.length === 0 ? (
        <Empty>No checkpoints yet.</Empty>
      ) : (
        list.data && (
          <div className="table-wrap scroll">
            <table>
              <thead>
                <tr>
                  <th>Step</th>
                  <th>Checkpoint</th>
                  <th>Saved</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {[...list.data.data].reverse().map((c) => (
                  <tr key={c.id}>
                    <td>{c.step}</td>
                    <td>
                      <code>{c.id}</code>
                    </td>
                    <td>{age(c.created_at)}</td>
                    <td>
                      <Link to={`/playground?right=${c.id}`}>Playground</Link>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )
      )}
    </div>
  );
}

/**
 * Samples of the run. Image jobs list their eval grids (GET /v1/jobs/{id}/samples); for language models,
 * the same eval prompts are completed (greedy) by the base model and by each checkpoint through the
 * serving API, on request.
 */
function Gallery({ job, checkpointTick }: { job: Job; checkpointTick: number }) {
  const samples = useAsync(
    (signal) =>
      api.get<ListResponse<Sample>>(`/v1/jobs/${job.id}/samples`, { signal }).catch((e) => {
        if (e instanceof ApiError && (e.status === 404 || e.status === 405)) return null; // no image samples
        throw e;
      }),
    [job.id, checkpointTick],
  );
  return (
    <div className="gallery">
      <h2>Samples</h2>
      <ErrorBox error={samples.error} title="Could not load samples" />
      {samples.loading && !samples.data ? (
        <Loading what="Loading samples" />
      ) : samples.data && samples.data.data.length > 0 ? (
        <>
          <p className="muted">Evaluation grids, newest first: one row per eval prompt (class), fixed seeds across steps.</p>
          <div className="grids" aria-label="Image samples">
            {[...samples.data.data].reverse().map((s) => (
              <ImageSample key={s.step} sample={s} />
            ))}
          </div>
        </>
      ) : (
        <Completions job={job} checkpointTick={checkpointTick} />
      )}
    </div>
  );
}

/** A whole-number multiple of a grid's width near 192 px: small grids grow, and pixels stay square. */
export function upscaled(naturalWidth: number, target = 192): number | undefined {
  if (!naturalWidth) return undefined;
  return Math.max(1, Math.round(target / naturalWidth)) * naturalWidth;
}

function ImageSample({ sample }: { sample: Sample }) {
  const [url, setUrl] = useState<string | null>(null);
  const [width, setWidth] = useState<number | undefined>(undefined);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    const controller = new AbortController();
    let made: string | null = null;
    blobUrl(sample.url, controller.signal)
      .then((u) => {
        made = u;
        setUrl(u);
      })
      .catch((e) => !controller.signal.aborted && setError(e));
    return () => {
      controller.abort();
      if (made) URL.revokeObjectURL(made);
    };
  }, [sample.url]);
  return (
    <figure>
      {url ? <img src={url} alt={`Image grid at step ${sample.step}`} width={width} onLoad={(e) => setWidth(upscaled(e.currentTarget.naturalWidth))} /> : error ? <ErrorBox error={error} /> : <Loading what="Loading image" />}
      <figcaption>step {sample.step}</figcaption>
    </figure>
  );
}

/** At most `k` items spread evenly over `items`, always keeping the last. */
export function spread<T>(items: T[], k: number): T[] {
  if (items.length <= k) return items;
  return Array.from({ length: k }, (_, i) => items[Math.round(((i + 1) * (items.length - 1)) / k)]);
}

interface Row {
  label: string;
  model: string;
  outputs: string[];
}

function Completions({ job, checkpointTick }: { job: Job; checkpointTick: number }) {
  const [rows, setRows] = useState<Row[] | null>(null);
  const [prompts, setPrompts] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [family, setFamily] = useState<string | null>(null);
  useEffect(() => {
    api.get<Model>(`/v1/models/${job.model}`).then((m) => setFamily(m.family)).catch(() => setFamily(null));
  }, [job.model]);
  useEffect(() => setRows(null), [checkpointTick]);

  async function generate() {
    setBusy(true);
    setError(null);
    try {
      const lines = await firstLines(`/v1/datasets/${job.eval_dataset ?? job.dataset}/content`, 4);
      const ps = lines.map((l) => String(JSON.parse(l).prompt ?? ''));
      const ckpts = spread((await api.get<ListResponse<Checkpoint>>(`/v1/jobs/${job.id}/checkpoints`)).data, 4);
      const targets = [{ label: 'base', model: job.model }, ...ckpts.map((c) => ({ label: `step ${c.step}`, model: c.id }))];
      const out: Row[] = [];
      for (const t of targets) {
        const r = await api.post<{ choices: { index: number; text: string }[] }>('/v1/completions', {
          model: t.model, prompt: ps, max_tokens: 8, temperature: 0, stop: ['\n'],
        });
        const texts = new Array(ps.length).fill('');
        r.choices.forEach((c) => (texts[c.index] = c.text));
        out.push({ ...t, outputs: texts });
      }
      setPrompts(ps);
      setRows(out);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }

  if (family && family !== 'language-model') return <Empty>No image samples yet: they appear at each evaluation.</Empty>;
  return (
    <>
      <p className="muted">
        Greedy completions of the first eval prompts by the base model and up to four checkpoints.{' '}
        <button type="button" onClick={generate} disabled={busy}>
          {busy ? 'Generating…' : rows ? 'Regenerate' : 'Show completions'}
        </button>
      </p>
      <ErrorBox error={error} title="Could not generate completions" />
      {rows && (
        <div className="table-wrap">
          <table className="completions">
            <thead>
              <tr>
                <th>Prompt</th>
                {rows.map((r) => (
                  <th key={r.model}>{r.label}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {prompts.map((p, i) => (
                <tr key={i}>
                  <td>
                    <code>{p}</code>
                  </td>
                  {rows.map((r) => (
                    <td key={r.model}>
                      <code>{r.outputs[i] || '∅'}</code>
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}


