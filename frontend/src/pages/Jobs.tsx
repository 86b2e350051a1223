import { useEffect, useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router-dom';
import { api, JOB_STATUSES, listAll, TERMINAL, type Job, type JobResources, type Model } from '../api';
import { Sparkline, type Series } from '../components/Chart';
import { age, Empty, ErrorBox, Field, Loading, StatusBadge, useAsync } from '../components/ui';

const REFRESH_MS = 3000;
export const REWARD = 'train/reward/mean';
/** How many jobs GET /v1/jobs/compare takes at once. */
export const COMPARE_MIN = 2;
export const COMPARE_MAX = 10;

/** The compare page's address for these jobs, in the order given (the first is the reference). */
export const compareUrl = (ids: string[]) => `/compare?ids=${ids.map(encodeURIComponent).join(',')}`;

/** Progress as a bar with its numbers. */
export function Progress({ job }: { job: Job }) {
  const total = job.total_steps ?? 0;
  const pct = total > 0 ? Math.min(100, (100 * job.current_step) / total) : 0;
  return (
    <div className="progress">
      <progress max={total || 1} value={total ? job.current_step : 0} aria-label={`${job.current_step} of ${total || '?'} steps`} />
      <span>
        {job.current_step}/{total || '?'} {total > 0 && <span className="muted">({pct.toFixed(0)}%)</span>}
      </span>
    </div>
  );
}

/** Why a queued job waits, as the server put it; null when it does not (or is not queued). */
export const waitReason = (job: Job) => (job.status === 'queued' && job.wait_reason ? job.wait_reason : null);

/** "worker lost 2×", when the job's worker was lost since its last checkpoint (it resumed elsewhere from there). */
export function LostBadge({ job }: { job: Job }) {
  if (!(job.attempts > 0)) return null;
  return (
    <span className="badge warn" title="Its worker was lost this many times since its last checkpoint; it resumed from that checkpoint.">
      worker lost {job.attempts}×
    </span>
  );
}

/** Where a job runs (or last ran): its worker's name, the id in the tooltip; for a queued job, why it waits instead. */
export function Placement({ job }: { job: Job }) {
  const reason = waitReason(job);
  return (
    <div className="placement">
      {reason ? (
        <span className="waiting">Waiting: {reason}</span>
      ) : job.worker ? (
        <span title={job.worker.id}>{job.worker.name}</span>
      ) : (
        <span className="muted">—</span>
      )}
      <LostBadge job={job} />
    </div>
  );
}

/** A job's resource request as one line ("device=cuda · pool=gpu · ≥ 24 GB GPU memory"), or null when it asked for nothing. */
export function resourcesText(r: JobResources | null | undefined): string | null {
  if (!r) return null;
  const parts = [
    r.device ? `device=${r.device}` : null,
    r.pool ? `pool=${r.pool}` : null,
    r.min_gpu_memory_gb != null ? `≥ ${r.min_gpu_memory_gb} GB GPU memory` : null,
  ].filter((p) => p !== null);
  return parts.length ? parts.join(' · ') : null;
}

export function Jobs() {
  const [params, setParams] = useSearchParams();
  const status = params.get('status') ?? '';
  const [auto, setAuto] = useState(true);
  const navigate = useNavigate();
  // Jobs picked for comparison, in the order they were ticked; kept across refreshes and filters.
  const [picked, setPicked] = useState<string[]>([]);
  const toggle = (id: string, on: boolean) => setPicked((old) => (on ? [...old.filter((p) => p !== id), id] : old.filter((p) => p !== id)));
  const canCompare = picked.length >= COMPARE_MIN && picked.length <= COMPARE_MAX;
  const jobs = useAsync(
    () => listAll<Job>(`/v1/jobs${status ? `?status=${status}` : ''}`).then((j) => j.reverse()),
    [status],
    auto ? REFRESH_MS : undefined,
  );
  const models = useAsync(() => listAll<Model>('/v1/models'), []);
  const names = new Map((models.data ?? []).map((m) => [m.id, m.name]));

  // Reward sparklines: fetched once for finished jobs, again on each refresh for live ones.
  const [rewards, setRewards] = useState<Record<string, Series>>({});
  useEffect(() => {
    if (!jobs.data) return;
    const controller = new AbortController();
    const wanted = jobs.data.slice(0, 50).filter((j) => !(j.id in rewards) || !TERMINAL.includes(j.status));
    Promise.all(
      wanted.map((j) =>
        api
          .get<{ metrics: Record<string, Series> }>(`/v1/jobs/${j.id}/metrics?names=${REWARD}`, { signal: controller.signal })
          .then((r) => [j.id, r.metrics[REWARD] ?? []] as const)
          .catch(() => [j.id, [] as Series] as const),
      ),
    ).then((pairs) => {
      if (!controller.signal.aborted && pairs.length) setRewards((old) => ({ ...old, ...Object.fromEntries(pairs) }));
    });
    return () => controller.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [jobs.data]);

  return (
    <section>
      <div className="page-head">
        <h1>Jobs</h1>
        <div className="actions">
          <button
            type="button"
            className="secondary"
            disabled={!canCompare}
            title={canCompare ? undefined : `Tick ${COMPARE_MIN} to ${COMPARE_MAX} jobs to compare them`}
            onClick={() => navigate(compareUrl(picked))}
          >
            Compare ({picked.length})
          </button>
          <Link className="button" to="/jobs/new">
            Launch job
          </Link>
        </div>
      </div>
      <div className="toolbar">
        <Field label="Status">
          {(p) => (
            <select {...p} value={status} onChange={(e) => setParams(e.target.value ? { status: e.target.value } : {})}>
              <option value="">all</option>
              {JOB_STATUSES.map((s) => (
                <option key={s}>{s}</option>
              ))}
            </select>
          )}
        </Field>
        <label className="check">
          <input type="checkbox" checked={auto} onChange={(e) => setAuto(e.target.checked)} /> Auto-refresh every{' '}
          {REFRESH_MS / 1000}s
        </label>
      </div>
      <ErrorBox error={jobs.error} title="Could not load jobs" />
      {jobs.loading && !jobs.data ? (
        <Loading what="Loading jobs" />
      ) : jobs.data && jobs.data.length === 0 ? (
        <Empty>
          {status ? `No ${status} jobs.` : 'No jobs yet.'} <Link to="/jobs/new">Launch one</Link>.
        </Empty>
      ) : (
        jobs.data && (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th>
                    <span className="visually-hidden">Compare</span>
                  </th>
                  <th>Job</th>
                  <th>Status</th>
                  <th>Method</th>
                  <th>Model</th>
                  <th>Progress</th>
                  <th>Worker</th>
                  <th>Reward</th>
                  <th>Age</th>
                </tr>
              </thead>
              <tbody>
                {jobs.data.map((j) => (
                  <tr key={j.id}>
                    <td>
                      <input
                        type="checkbox"
                        aria-label={`Select ${j.id} for comparison`}
                        checked={picked.includes(j.id)}
                        onChange={(e) => toggle(j.id, e.target.checked)}
                      />
                    </td>
                    <td>
                      <Link to={`/jobs/${j.id}`}>{j.suffix ? `${j.suffix} ` : ''}<code>{j.id}</code></Link>
                    </td>
                    <td>
                      <StatusBadge status={j.status} />
                    </td>
                    <td>{j.method?.type}</td>
                    <td title={j.model}>{names.get(j.model) ?? <code>{j.model}</code>}</td>
                    <td>
                      <Progress job={j} />
                    </td>
                    <td>
                      <Placement job={j} />
                    </td>
                    <td>
                      {rewards[j.id] ? <Sparkline points={rewards[j.id]} label={`${REWARD} of ${j.id}`} /> : <span className="muted">…</span>}
                    </td>
                    <td title={j.created_at}>{age(j.created_at)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )
      )}
    </section>
  );
}
