import { useEffect, type ReactNode } from 'react';
import { Link, useParams } from 'react-router-dom';
import {
  api, EVAL_ACTIVE,
  type EvalMetric, type EvalMetrics, type EvalReport, type Evaluation, type FailedThreshold, type JobEvent, type ListResponse,
} from '../api';
import { MetricChart, type Series } from '../components/Chart';
import { age, DownloadButton, Empty, ErrorBox, fmt, Loading, StatusBadge, useAsync } from '../components/ui';
import { CancelButton, EvalProgress, Subject, suiteLabel, VerdictBadge } from './Evaluations';

/** How often a queued or running evaluation (and its events) is asked for again. */
export const EVAL_POLL_MS = 1500;

/**
 * The rows of the candidate-against-baseline table: a label, the flat metric name of the report's `deltas` (null for
 * a row the report has no delta of: computed here), the value, and whether higher is better.
 */
export const METRIC_ROWS: { label: string; metric: EvalMetric | null; value: (m: EvalMetrics) => number | null | undefined; higherIsBetter: boolean }[] = [
  { label: 'Pairwise accuracy', metric: 'pairwise_accuracy', value: (m) => m.pairwise?.accuracy, higherIsBetter: true },
  { label: 'ECE', metric: 'ece', value: (m) => m.ece, higherIsBetter: false },
  { label: 'Gold Spearman', metric: 'gold_spearman', value: (m) => m.gold?.spearman, higherIsBetter: true },
  { label: 'Gold Kendall', metric: 'gold_kendall', value: (m) => m.gold?.kendall, higherIsBetter: true },
  { label: 'Over-optimization (gold drop from its peak)', metric: 'overoptimization', value: (m) => m.overoptimization?.drop, higherIsBetter: false },
  { label: 'Proxy rise − gold rise, N = 1 to max (sd)', metric: null, value: (m) => m.overoptimization?.proxy_gold_gap, higherIsBetter: false },
  { label: 'N at which gold peaks', metric: null, value: (m) => m.overoptimization?.gold_peak_n, higherIsBetter: true },
  { label: 'Latency p50 (ms)', metric: null, value: (m) => m.latency_ms?.p50, higherIsBetter: false },
  { label: 'Latency p95 (ms)', metric: 'p95_latency_ms', value: (m) => m.latency_ms?.p95, higherIsBetter: false },
];

/** candidate − baseline of a row: the report's delta when it has one, else computed from the two values. */
export function delta(report: EvalReport, row: (typeof METRIC_ROWS)[number]): number | null {
  if (row.metric && report.deltas[row.metric] != null) return report.deltas[row.metric]!;
  const c = row.value(report.candidate);
  const b = report.baseline ? row.value(report.baseline) : null;
  return c != null && b != null ? c - b : null;
}

const signed = (v: number) => (v > 0 ? `+${fmt(v)}` : fmt(v));

/** What a metric's extra facts are: the bootstrap interval of the accuracy, the sample counts. */
function detailOf(m: EvalMetrics, row: (typeof METRIC_ROWS)[number]): string | null {
  if (row.metric === 'pairwise_accuracy' && m.pairwise) return `95% CI ${fmt(m.pairwise.ci_low, 3)}–${fmt(m.pairwise.ci_high, 3)}, ${m.pairwise.pairs} pairs, ${m.pairwise.ties} ties`;
  if (row.metric === 'gold_spearman' && m.gold) return `${m.gold.samples} samples${m.gold.undefined_reason ? `: ${m.gold.undefined_reason}` : ''}`;
  if (row.metric === 'p95_latency_ms' && m.latency_ms) return `${m.latency_ms.samples} samples`;
  return null;
}

function errorsText(errors: Record<string, number> | null | undefined): string {
  const entries = Object.entries(errors ?? {});
  return entries.length ? entries.map(([k, n]) => `${k} ×${n}`).join(', ') : 'none';
}

/** Candidate and baseline metrics side by side, with candidate − baseline (green when better, red when worse). */
function Comparison({ report }: { report: EvalReport }) {
  const b = report.baseline;
  const cell = (m: EvalMetrics | null, row: (typeof METRIC_ROWS)[number]) => {
    if (!m) return <span className="muted">—</span>;
    const d = detailOf(m, row);
    return (
      <>
        {fmt(row.value(m), 4)}
        {d && <small className="muted"> ({d})</small>}
      </>
    );
  };
  const rows = METRIC_ROWS.filter((r) => r.value(report.candidate) != null || (b && r.value(b) != null));
  return (
    <div className="table-wrap">
      <table aria-label="Candidate against baseline">
        <thead>
          <tr>
            <th>Metric</th>
            <th>Candidate</th>
            <th>Baseline</th>
            <th>Δ (candidate − baseline)</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => {
            const d = b ? delta(report, r) : null;
            const better = d == null || d === 0 ? '' : (d > 0) === r.higherIsBetter ? 'better' : 'worse';
            return (
              <tr key={r.label}>
                <th scope="row">{r.label}</th>
                <td>{cell(report.candidate, r)}</td>
                <td>{cell(b, r)}</td>
                <td className={better ? `delta ${better}` : 'delta'}>{d == null ? '—' : signed(d)}</td>
              </tr>
            );
          })}
          <tr>
            <th scope="row">Errors</th>
            <td>{errorsText(report.candidate.errors)}</td>
            <td>{b ? errorsText(b.errors) : <span className="muted">—</span>}</td>
            <td />
          </tr>
        </tbody>
      </table>
    </div>
  );
}

/** A series of the best-of-N probe: y against N. */
const byN = (n: number[], ys: number[]): Series => n.map((x, i) => ({ step: x, value: ys[i] })).filter((p) => p.value != null);

/**
 * The over-optimization curves of the best-of-N probe against N: the candidate's own (proxy) reward of its pick, and
 * the gold judge's reward of that pick beside the baseline's. Two charts, as proxy and gold live on different scales.
 */
function Curve({ report }: { report: EvalReport }) {
  const c = report.candidate.overoptimization;
  if (!c) return <Empty>This suite has no prompts with a gold judge: no best-of-N probe.</Empty>;
  const b = report.baseline?.overoptimization;
  return (
    <>
      <div className="charts">
        <MetricChart title="Proxy: the candidate's reward of its best-of-N pick" series={[{ name: 'candidate proxy', points: byN(c.n, c.proxy) }]}
          xLabel="N" xLog={2} height={220} />
        <MetricChart title="Gold: the gold judge's reward of that pick"
          series={[{ name: 'candidate gold', points: byN(c.n, c.gold) }, ...(b ? [{ name: 'baseline gold', points: byN(b.n, b.gold) }] : [])]}
          xLabel="N" xLog={2} height={220} />
      </div>
      <p className="muted">
        Gold peaks at N = {c.gold_peak_n} and falls by {fmt(c.drop)} after it; from N = 1 to {c.n[c.n.length - 1]} the proxy rises{' '}
        {fmt(c.proxy_gold_gap, 2)} standard deviations more than gold. A hackable reward's gold curve peaks and falls while its proxy keeps rising.
      </p>
    </>
  );
}

/** The thresholds that failed, with the value measured against each. */
function FailedThresholds({ failed }: { failed: FailedThreshold[] }) {
  return (
    <div className="verdict failed" role="alert" aria-label="Verdict">
      <p>
        <strong>Failed</strong>: {failed.length} threshold{failed.length === 1 ? '' : 's'} not met.
      </p>
      <table aria-label="Failed thresholds">
        <thead>
          <tr>
            <th>Threshold</th>
            <th>Value</th>
            <th>Limit</th>
            <th>Detail</th>
          </tr>
        </thead>
        <tbody>
          {failed.map((t) => (
            <tr key={t.name}>
              <td><code>{t.name}</code></td>
              <td>{fmt(t.value)}</td>
              <td>{fmt(t.threshold)}</td>
              <td>{t.detail ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Report({ evaluation }: { evaluation: Evaluation }) {
  const id = evaluation.id;
  const report = useAsync((signal) => api.get<EvalReport>(`/v1/evaluations/${id}/report?format=json`, { signal }), [id]);
  const downloads: [string, string, ReactNode][] = [
    [`/v1/evaluations/${id}/report?format=junit`, `${id}-junit.xml`, 'JUnit XML'],
    [`/v1/evaluations/${id}/report?format=markdown`, `${id}.md`, 'Markdown'],
    // the curve exists only where the suite probes best-of-N (it has prompts)
    ...(report.data?.candidate.overoptimization ? [[`/v1/evaluations/${id}/report/curve.png`, `${id}-curve.png`, 'Curve (PNG)'] as [string, string, ReactNode]] : []),
  ];
  return (
    <>
      <div className="toolbar downloads" role="group" aria-label="Reports">
        <span>Download the report:</span>
        {downloads.map(([path, name, label]) => (
          <DownloadButton key={name} path={path} fallbackName={name} label={label} busyLabel="Downloading…" failure="Not downloaded" />
        ))}
      </div>
      <ErrorBox error={report.error} title="Could not load the report" />
      {report.loading && !report.data ? (
        <Loading what="Loading the report" />
      ) : (
        report.data && (
          <>
            <h2>Checks</h2>
            {report.data.checks.length === 0 ? (
              <Empty>The suite sets no thresholds: nothing to check.</Empty>
            ) : (
              <div className="table-wrap">
                <table aria-label="Checks">
                  <thead>
                    <tr>
                      <th>Check</th>
                      <th>Threshold</th>
                      <th>Value</th>
                      <th>Result</th>
                      <th>Detail</th>
                    </tr>
                  </thead>
                  <tbody>
                    {report.data.checks.map((c) => (
                      <tr key={c.name} className={c.passed ? 'check-passed' : 'check-failed'}>
                        <td><code>{c.name}</code></td>
                        <td>{fmt(c.threshold)}</td>
                        <td>{fmt(c.value)}</td>
                        <td>{c.passed ? <span className="badge verdict-passed">passed</span> : <span className="badge verdict-failed">failed</span>}</td>
                        <td>{c.detail ?? ''}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
            <h2>Candidate{report.data.baseline ? ' against baseline' : ''}</h2>
            <Comparison report={report.data} />
            <h2>Over-optimization</h2>
            <Curve report={report.data} />
          </>
        )
      )}
    </>
  );
}

/** /evaluations/{id}: status and progress (followed while queued or running), the verdict, the report and the events. */
export function EvaluationDetail() {
  const { id = '' } = useParams();
  const evaluation = useAsync((signal) => api.get<Evaluation>(`/v1/evaluations/${id}`, { signal }), [id]);
  const e = evaluation.data;
  const active = !!e && EVAL_ACTIVE.includes(e.status);
  useEffect(() => {
    if (!active) return;
    const t = setTimeout(evaluation.reload, EVAL_POLL_MS);
    return () => clearTimeout(t);
  }, [e, active, evaluation.reload]);
  // the events again with each refresh of a live evaluation, and once more when it ends
  const events = useAsync((signal) => api.get<ListResponse<JobEvent>>(`/v1/evaluations/${id}/events`, { signal }).then((r) => r.data),
    [id, active ? e : e?.status]);

  if (evaluation.loading && !e) return <Loading what="Loading evaluation" />;
  if (!e) return <ErrorBox error={evaluation.error} title="Could not load the evaluation" />;
  return (
    <section>
      <p><Link to="/evaluations">← Evaluations</Link></p>
      <div className="page-head">
        <h1>
          Evaluation <code>{e.id}</code> <StatusBadge status={e.status} /> <VerdictBadge verdict={e.verdict} />
        </h1>
        <div className="actions">
          <CancelButton evaluation={e} onDone={evaluation.setData} />
        </div>
      </div>
      <ErrorBox error={evaluation.error} title="Could not refresh the evaluation" />
      <dl className="facts">
        <dt>Suite</dt>
        <dd>
          <Link to={`/evaluations/suites/${e.suite}`}>{suiteLabel({ name: e.suite_name, version: e.suite_version })}</Link> <code>{e.suite}</code>
        </dd>
        <dt>Candidate</dt>
        <dd>
          <Subject subject={e.candidate} /> <span className="muted">{e.candidate.kind.replace('_', ' ')}</span>
        </dd>
        <dt>Baseline</dt>
        <dd>
          <Subject subject={e.baseline} /> {e.baseline && <span className="muted">{e.baseline.kind.replace('_', ' ')}</span>}
        </dd>
        {active && (
          <>
            <dt>Progress</dt>
            <dd><EvalProgress evaluation={e} /></dd>
          </>
        )}
        <dt>Created</dt>
        <dd title={e.created_at}>{age(e.created_at)}</dd>
        {e.started_at && (
          <>
            <dt>Started</dt>
            <dd title={e.started_at}>{age(e.started_at)}</dd>
          </>
        )}
        {e.finished_at && (
          <>
            <dt>Finished</dt>
            <dd title={e.finished_at}>{age(e.finished_at)}</dd>
          </>
        )}
        {e.error && (
          <>
            <dt>Error</dt>
            <dd className="field-error">{e.error.code}: {e.error.message}</dd>
          </>
        )}
      </dl>
      {e.verdict === 'passed' && (
        <p className="verdict passed" role="status" aria-label="Verdict">
          <strong>Passed</strong>: every threshold of {suiteLabel({ name: e.suite_name, version: e.suite_version })} was met.
        </p>
      )}
      {e.verdict === 'failed' && <FailedThresholds failed={e.failed_thresholds} />}
      {e.status === 'completed' && <Report key={e.id} evaluation={e} />}
      <h2>Events</h2>
      <ErrorBox error={events.error} title="Could not load events" />
      {events.data && events.data.length === 0 ? (
        <Empty>No events yet.</Empty>
      ) : (
        events.data && (
          <ol className="events" aria-label="Event log">
            {[...events.data].reverse().map((ev) => (
              <li key={ev.id} className={`level-${ev.level}`}>
                <time dateTime={ev.created_at}>{new Date(ev.created_at).toLocaleTimeString()}</time>
                <code>{ev.type}</code> {ev.message}
              </li>
            ))}
          </ol>
        )
      )}
    </section>
  );
}
