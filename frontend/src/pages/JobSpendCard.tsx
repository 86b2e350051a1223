import { useState, type FormEvent } from 'react';
import { api, ApiError, money, type Job, type JobEvent } from '../api';
import { ErrorBox, Field, useAction } from '../components/ui';
import { deviceTime, LimitBar, ofLimit } from '../components/Spend';
import type { Series } from '../components/Chart';

/** The metrics that carry a job's spend as it runs (cumulative). */
export const SPEND_METRIC = 'cost/spend';
export const DEVICE_SECONDS_METRIC = 'cost/device_seconds';

const last = (s: Series | undefined) => (s && s.length ? s[s.length - 1].value : null);

/** The larger of the job view's figure and the stream's latest (both cumulative: the fresher one is the larger). */
function freshest(view: number | null | undefined, streamed: number | null): number | null {
  if (view == null) return streamed;
  if (streamed == null) return view;
  return Math.max(view, streamed);
}

const isBudgetEvent = (e: JobEvent) => e.type === 'budget_exceeded' || e.type.endsWith('.budget_exceeded');

/**
 * Why a paused job is paused, as far as spend goes: `job` when its own budget is spent (raise it, then resume),
 * `team` when the team's monthly budget is, null when it was paused for another reason (or is not paused).
 * A spend at or past the job's cap is the job's own; else the events say, newest first: a `job.paused` with a
 * `reason` (`budget`, `team_budget`, or another), or a `budget_exceeded` event (its `data.reason`, else the
 * job's own), unless a resume or start came after it.
 */
export function budgetPause(job: Job, spend: number | null, events: JobEvent[]): 'job' | 'team' | null {
  if (job.status !== 'paused') return null;
  const max = job.budget?.max_spend ?? null;
  if (max !== null && spend !== null && spend >= max) return 'job';
  for (const e of [...events].reverse()) {
    if (e.type === 'job.resumed' || e.type === 'job.started') return null;
    const reason = e.data?.reason;
    if (isBudgetEvent(e) || (e.type === 'job.paused' && typeof reason === 'string')) {
      if (reason === 'team_budget') return 'team';
      return isBudgetEvent(e) || reason === 'budget' ? 'job' : null;
    }
  }
  return null;
}

/**
 * A job's spend against its budget, live: the job view's `spend` and `budget`, with the `cost/*` metrics of
 * the stream when they are fresher. A job paused by its budget gets a form that raises it and resumes.
 */
export function JobSpendCard({ job, metrics, events, onJob }: {
  job: Job;
  metrics: Record<string, Series>;
  events: JobEvent[];
  onJob: (j: Job) => void;
}) {
  const amount = freshest(job.spend?.amount, last(metrics[SPEND_METRIC]));
  const seconds = freshest(job.spend?.device_seconds, last(metrics[DEVICE_SECONDS_METRIC]));
  const max = job.budget?.max_spend ?? null;
  if (amount === null && max === null && !job.spend) return null;
  const currency = job.spend?.currency ?? 'USD';
  const spent = amount ?? 0;
  const pause = budgetPause(job, spent, events);
  return (
    <div className="card spend-card" role="region" aria-label="Spend">
      <h2>Spend</h2>
      <p>
        <strong>{money(spent, currency)}</strong>
        {max !== null ? <> of a {money(max, currency)} budget</> : <span className="muted"> (no budget)</span>}
        {seconds !== null && <span className="muted"> · {deviceTime(seconds)} of device time</span>}
      </p>
      {max !== null && max > 0 && <LimitBar used={spent} limit={max} label="Spend of the budget" text={ofLimit(spent, max, currency)} />}
      {job.spend?.estimate != null && (
        <p className="muted">
          Estimated {money(job.spend.estimate, currency)} before it started
          {job.spend.estimate_basis && <>: {job.spend.estimate_basis}</>}
        </p>
      )}
      {pause === 'job' && <RaiseBudget job={job} spent={spent} currency={currency} onJob={onJob} />}
      {pause === 'team' && (
        <p className="notice" role="status">
          Paused: the team's monthly budget is spent. It resumes once an operator raises the team's limit.
        </p>
      )}
    </div>
  );
}

/** The new cap from the form: a number more than what was spent (else resuming would pause again at once). */
export function newBudget(text: string, spent: number, currency: string): number {
  const v = Number(text.trim());
  if (text.trim() === '' || !Number.isFinite(v) || v <= 0) {
    throw new ApiError(400, 'invalid_budget', 'The budget was not raised.', [{ pointer: '/max_spend', detail: 'must be an amount more than 0' }]);
  }
  if (v <= spent) {
    throw new ApiError(400, 'invalid_budget', 'The budget was not raised.', [
      { pointer: '/max_spend', detail: `must be more than the ${money(spent, currency)} already spent` },
    ]);
  }
  return v;
}

function RaiseBudget({ job, spent, currency, onJob }: { job: Job; spent: number; currency: string; onJob: (j: Job) => void }) {
  const [value, setValue] = useState('');
  const { busy, error, run } = useAction();
  const fields = error instanceof ApiError ? error.byPointer() : {};
  function submit(e: FormEvent) {
    e.preventDefault();
    run(async () => {
      const max_spend = newBudget(value, spent, currency);
      const raised = await api.put<unknown>(`/v1/jobs/${job.id}/budget`, { max_spend });
      if (raised && typeof raised === 'object' && 'status' in raised && 'id' in raised) onJob(raised as Job);
      onJob(await api.post<Job>(`/v1/jobs/${job.id}/resume`));
    });
  }
  return (
    <form className="raise-budget" onSubmit={submit} aria-label="Raise the budget" noValidate>
      <p className="notice" role="status">
        Paused with a checkpoint: its budget is spent. Raise it to resume where it stopped; nothing is lost.
      </p>
      <div className="row">
        <Field label={`New budget (${currency})`} error={fields['/max_spend']}>
          {(p) => <input {...p} inputMode="decimal" value={value} onChange={(e) => setValue(e.target.value)} />}
        </Field>
      </div>
      <button type="submit" disabled={busy}>
        {busy ? 'Raising…' : 'Raise budget and resume'}
      </button>
      <ErrorBox error={error} title="Not resumed" hideFieldErrors={error instanceof ApiError && error.errors.every((f) => f.pointer === '/max_spend')} />
    </form>
  );
}
