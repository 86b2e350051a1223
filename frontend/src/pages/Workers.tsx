import { useState } from 'react';
import { Link } from 'react-router-dom';
import { api, type ListResponse, type Worker } from '../api';
import { ago, Empty, ErrorBox, fmt, Loading, StatusBadge, useAsync } from '../components/ui';

// as often as the jobs list: a heartbeat's age and a worker's load are only worth reading fresh
const REFRESH_MS = 3000;

const gb = (v: number | null | undefined) => (v == null ? '—' : `${fmt(v, 1)} GB`);

/** "3 workers: 2 active, 1 lost · 1/4 job slots busy on the active ones". */
export function workersSummary(workers: Worker[]): string {
  const count = (state: Worker['state']) => workers.filter((w) => w.state === state).length;
  const states = (['active', 'draining', 'lost', 'stopped'] as const).filter((s) => count(s) > 0).map((s) => `${count(s)} ${s}`);
  const active = workers.filter((w) => w.state === 'active');
  const busy = active.reduce((n, w) => n + w.running_jobs.length, 0);
  const slots = active.reduce((n, w) => n + w.capacity, 0);
  return `${workers.length} worker${workers.length === 1 ? '' : 's'}: ${states.join(', ')} · ${busy}/${slots} job slots busy on the active ones`;
}

/** The training nodes, their labels and load (the admin key alone: GET /v1/workers answers a team key 403). */
export function Workers() {
  const [auto, setAuto] = useState(true);
  const workers = useAsync(
    (signal) => api.get<ListResponse<Worker>>('/v1/workers', { signal }).then((r) => r.data),
    [],
    auto ? REFRESH_MS : undefined,
  );

  return (
    <section>
      <div className="page-head">
        <h1>Workers</h1>
      </div>
      <div className="toolbar">
        <label className="check">
          <input type="checkbox" checked={auto} onChange={(e) => setAuto(e.target.checked)} /> Auto-refresh every{' '}
          {REFRESH_MS / 1000}s
        </label>
        {workers.data && workers.data.length > 0 && <span className="muted">{workersSummary(workers.data)}</span>}
      </div>
      <ErrorBox error={workers.error} title="Could not load workers" />
      {workers.loading && !workers.data ? (
        <Loading what="Loading workers" />
      ) : workers.data && workers.data.length === 0 ? (
        <Empty>
          No worker has announced itself yet: a node started with <code>tropism.role=worker</code> (or <code>all</code>) appears
          here with its first heartbeat.
        </Empty>
      ) : (
        workers.data && (
          <div className="table-wrap">
            <table aria-label="Workers">
              <thead>
                <tr>
                  <th>Worker</th>
                  <th>Role</th>
                  <th>State</th>
                  <th>Device</th>
                  <th>RAM</th>
                  <th>Pool</th>
                  <th>Load</th>
                  <th>Heartbeat</th>
                </tr>
              </thead>
              <tbody>
                {workers.data.map((w) => (
                  <tr key={w.id}>
                    <td title={w.id}>
                      {w.name}
                      <div>
                        <code className="muted">{w.id}</code>
                      </div>
                    </td>
                    <td title={w.role === 'all' ? 'A single process that serves the API and also trains' : 'Trains only'}>{w.role}</td>
                    <td>
                      <span title={w.state === 'lost' ? 'It missed its heartbeats: its jobs went back to the queue' : w.state === 'draining' ? 'Stopping: it finishes its steps, checkpoints and gives its jobs back; it takes no new ones' : undefined}>
                        <StatusBadge status={w.state} />
                      </span>
                    </td>
                    <td>
                      {w.labels.device}
                      {w.labels.gpu_model && (
                        <div className="muted">
                          {w.labels.gpu_model} · {gb(w.labels.gpu_memory_gb)}
                        </div>
                      )}
                    </td>
                    <td>{gb(w.labels.ram_gb)}</td>
                    <td>{w.labels.pool || <span className="muted">—</span>}</td>
                    <td>
                      <span aria-label={`${w.running_jobs.length} of ${w.capacity} job slots busy`}>
                        {w.running_jobs.length}/{w.capacity}
                      </span>
                      {w.running_jobs.map((id) => (
                        <div key={id}>
                          <Link to={`/jobs/${id}`}>
                            <code>{id}</code>
                          </Link>
                        </div>
                      ))}
                    </td>
                    <td title={w.heartbeat_at}>{ago(w.heartbeat_age_seconds)}</td>
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
