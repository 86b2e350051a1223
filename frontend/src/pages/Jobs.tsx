import { useEffect, useState } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import { api, JOB_STATUSES, listAll, TERMINAL, type Job, type Model } from '../api';
import { Sparkline, type Series } from '../components/Chart';
import { age, Empty, ErrorBox, Field, Loading, StatusBadge, useAsync } from '../components/ui';

const REFRESH_MS = 3000;
export const REWARD = 'train/reward/mean';

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

export function Jobs() {
  const [params, setParams] = useSearchParams();
  const status = params.get('status') ?? '';
  const [auto, setAuto] = useState(true);
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
        <Link className="button" to="/jobs/new">
          Launch job
        </Link>
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
                  <th>Job</th>
                  <th>Status</th>
                  <th>Method</th>
                  <th>Model</th>
                  <th>Progress</th>
                  <th>Reward</th>
                  <th>Age</th>
                </tr>
              </thead>
              <tbody>
                {jobs.data.map((j) => (
                  <tr key={j.id}>
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
