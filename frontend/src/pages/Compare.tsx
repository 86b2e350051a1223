import { useEffect, useState } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import { api, type ComparedJob, type HyperValue, type JobComparison } from '../api';
import { COLORS, MetricChart } from '../components/Chart';
import { Empty, ErrorBox, Loading, StatusBadge, useAsync } from '../components/ui';
import { againstAxis, firstMetric, type XAxis } from '../metrics';
import { COMPARE_MAX, COMPARE_MIN, REWARD } from './Jobs';

// Several jobs side by side (GET /v1/jobs/compare, issue 15): any metric overlaid by step or by training
// time, and the hyperparameters in which they differ. The address holds the whole view (ids, names, x), so
// a comparison can be shared as a link.

const AXES: { axis: XAxis; label: string; title: string }[] = [
  { axis: 'step', label: 'step', title: 'step' },
  // elapsed_seconds: the sum of the job's step and bookkeeping seconds, so queueing and pauses do not count
  { axis: 'wall', label: 'wall time', title: 'training time (s)' },
];

const splitList = (v: string | null) => (v ?? '').split(',').map((s) => s.trim()).filter(Boolean);

/** The request for these jobs and metrics; `names` is always given, since without it the API sends every metric. */
export const comparePath = (ids: string[], names: string[]) =>
  `/v1/jobs/compare?ids=${ids.map(encodeURIComponent).join(',')}&names=${names.map(encodeURIComponent).join(',')}`;

/** A job as the legend and columns name it: its suffix, if any, then its id. */
export const jobLabel = (j: ComparedJob) => (j.suffix ? `${j.suffix} · ${j.id}` : j.id);

/** A hyperparameter as a cell shows it: numbers as sent (0.0003, not 3e-4), null as a dash. */
export const hyperText = (v: HyperValue | undefined) => (v === null || v === undefined ? '—' : String(v));

export function Compare() {
  const [params, setParams] = useSearchParams();
  const ids = splitList(params.get('ids'));
  const asked = splitList(params.get('names'));
  const names = asked.length ? asked : [REWARD];
  const axis: XAxis = params.get('x') === 'wall' ? 'wall' : 'step';
  const update = (changes: Record<string, string | null>) =>
    setParams((old) => {
      const next = new URLSearchParams(old);
      for (const [k, v] of Object.entries(changes)) (v === null ? next.delete(k) : next.set(k, v));
      return next;
    }, { replace: true });

  const cmp = useAsync(
    (signal) => (ids.length ? api.get<JobComparison>(comparePath(ids, names), { signal }) : Promise.resolve(undefined)),
    [ids.join(','), names.join(',')],
  );
  const data = cmp.data;

  // Jobs without the default metric (an SFT job has no reward) open on their first metric instead.
  useEffect(() => {
    if (!data || asked.length || data.metric_names.includes(REWARD)) return;
    const first = firstMetric(data.metric_names);
    if (first) update({ names: first });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [data]);

  const [filter, setFilter] = useState('');

  if (ids.length === 0) {
    return (
      <section>
        <h1>Compare jobs</h1>
        <Empty>
          Tick {COMPARE_MIN} to {COMPARE_MAX} jobs on the <Link to="/jobs">Jobs</Link> page to compare them.
        </Empty>
      </section>
    );
  }

  const pick = (name: string, on: boolean) => {
    const next = on ? [...names.filter((n) => n !== name), name] : names.filter((n) => n !== name);
    update({ names: next.join(',') });
  };
  const axisTitle = AXES.find((a) => a.axis === axis)!.title;
  const jobs = data?.jobs ?? [];
  // On the wall-time axis, a job that recorded no step times has no points: say so rather than draw nothing.
  const untimed = new Set(
    axis === 'wall' && data
      ? jobs.filter((j) => names.every((n) => againstAxis(data.metrics[n]?.[j.id] ?? [], 'wall').length === 0)).map((j) => j.id)
      : [],
  );

  return (
    <section>
      <div className="page-head">
        <h1>Compare {ids.length} jobs</h1>
        <Link to="/jobs">Back to jobs</Link>
      </div>
      <ErrorBox error={cmp.error} title="Could not compare these jobs" />
      {cmp.loading && !data ? (
        <Loading what="Loading the comparison" />
      ) : (
        data && (
          <>
            <ul className="compare-legend" aria-label="Jobs compared">
              {jobs.map((j, i) => (
                <li key={j.id}>
                  <span className="swatch" style={{ background: COLORS[i % COLORS.length] }} aria-hidden="true" />
                  <Link to={`/jobs/${j.id}`}>{jobLabel(j)}</Link> <StatusBadge status={j.status} />
                  {untimed.has(j.id) && <span className="muted"> no step times recorded</span>}
                </li>
              ))}
            </ul>

            <div className="toolbar compare-controls">
              <fieldset className="metric-picker">
                <legend>Metrics ({names.length} of {data.metric_names.length})</legend>
                <label className="inline">
                  Filter <input value={filter} onChange={(e) => setFilter(e.target.value)} placeholder="e.g. reward, eval/" />
                </label>
                <div className="options">
                  {data.metric_names.filter((n) => !filter || n.includes(filter) || names.includes(n)).map((n) => (
                    <label key={n} className="check">
                      <input
                        type="checkbox"
                        checked={names.includes(n)}
                        // at least one metric stays picked: the API answers every metric for none
                        disabled={names.length === 1 && names[0] === n}
                        onChange={(e) => pick(n, e.target.checked)}
                      />{' '}
                      <code>{n}</code>
                    </label>
                  ))}
                </div>
              </fieldset>
              <fieldset className="axis-toggle">
                <legend>x axis</legend>
                {AXES.map((a) => (
                  <label key={a.axis} className="check">
                    <input type="radio" name="x-axis" checked={axis === a.axis} onChange={() => update({ x: a.axis === 'step' ? null : a.axis })} />{' '}
                    {a.label}
                  </label>
                ))}
                <small className="muted">Wall time is each job's training time: queueing and pauses do not count.</small>
              </fieldset>
            </div>

            {data.metric_names.length === 0 ? (
              <Empty>These jobs recorded no metrics yet.</Empty>
            ) : (
              <div className="charts">
                {names.map((n) =>
                  data.metrics[n] ? (
                    <MetricChart
                      key={n}
                      title={n}
                      xLabel={axisTitle}
                      series={jobs.map((j) => ({ name: jobLabel(j), points: againstAxis(data.metrics[n][j.id] ?? [], axis) }))}
                    />
                  ) : cmp.loading ? (
                    <Loading key={n} what={`Loading ${n}`} />
                  ) : (
                    <Empty key={n}>
                      No job here recorded <code>{n}</code>.
                    </Empty>
                  ),
                )}
              </div>
            )}

            <h2>Jobs</h2>
            <JobsTable jobs={jobs} />
            <h2>Hyperparameters that differ</h2>
            <Differences jobs={jobs} differences={data.differences} />
          </>
        )
      )}
    </section>
  );
}

function JobsTable({ jobs }: { jobs: ComparedJob[] }) {
  return (
    <div className="table-wrap">
      <table aria-label="Jobs">
        <thead>
          <tr>
            <th>Job</th>
            <th>Status</th>
            <th>Method</th>
            <th>Model</th>
            <th>Seed</th>
            <th>Steps</th>
          </tr>
        </thead>
        <tbody>
          {jobs.map((j) => (
            <tr key={j.id}>
              <td>
                <Link to={`/jobs/${j.id}`}>{jobLabel(j)}</Link>
              </td>
              <td>
                <StatusBadge status={j.status} />
              </td>
              <td>{j.method_type}</td>
              <td>
                <code>{j.model}</code>
              </td>
              <td>{j.seed}</td>
              <td>
                {j.current_step}/{j.total_steps ?? '?'}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Rows are the keys that differ, columns the jobs; a cell unlike the first job's (the reference) is marked. */
function Differences({ jobs, differences }: { jobs: ComparedJob[]; differences: JobComparison['differences'] }) {
  const keys = Object.keys(differences).sort();
  if (keys.length === 0) return <Empty>These jobs have the same hyperparameters.</Empty>;
  const reference = jobs[0]?.id;
  return (
    <div className="table-wrap">
      <table className="differences">
        <caption className="muted">Cells unlike the first job's are highlighted; — means the job does not set the key.</caption>
        <thead>
          <tr>
            <th scope="col">Hyperparameter</th>
            {jobs.map((j) => (
              <th key={j.id} scope="col">
                {jobLabel(j)}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {keys.map((k) => {
            const ref = differences[k][reference] ?? null;
            return (
              <tr key={k}>
                <th scope="row">
                  <code>{k}</code>
                </th>
                {jobs.map((j) => {
                  const v = differences[k][j.id] ?? null;
                  const changed = j.id !== reference && v !== ref;
                  return (
                    <td key={j.id} className={changed ? 'changed' : undefined} data-changed={changed || undefined}>
                      <code>{hyperText(v)}</code>
                    </td>
                  );
                })}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
