import { useState, type FormEvent } from 'react';
import { Link } from 'react-router-dom';
import {
  api, ApiError, DEFAULT_SCOPES, grants, listAllBy, money, TEAM_SCOPES,
  type ApiKey, type CreatedApiKey, type Me, type TeamBudget, type TeamQuotas, type TrainingUsage, type Usage,
} from '../api';
import { useAuth } from '../auth';
import { age, bytes, Empty, ErrorBox, errorText, Field, Loading, StatusBadge, useAction, useAsync } from '../components/ui';
import { deviceTime, LimitBar, ofLimit } from '../components/Spend';

/** The first and last day (UTC, `YYYY-MM-DD`) of the calendar month of `now`, up to `now`: what "this month" spends. */
export function monthRange(now = new Date()): { from: string; to: string } {
  const day = now.toISOString().slice(0, 10);
  return { from: `${day.slice(0, 7)}-01`, to: day };
}

/** A job's spend this month: `training` entries summed by job, the most expensive first. */
export interface JobSpendRow {
  job: string;
  models: string[];
  device_seconds: number;
  spend: number;
}

export function spendByJob(training: TrainingUsage[]): JobSpendRow[] {
  const byJob = new Map<string, JobSpendRow>();
  for (const t of training) {
    const row = byJob.get(t.job) ?? { job: t.job, models: [], device_seconds: 0, spend: 0 };
    row.device_seconds += t.device_seconds;
    row.spend += t.spend;
    if (!row.models.includes(t.model)) row.models.push(t.model);
    byJob.set(t.job, row);
  }
  return [...byJob.values()].sort((a, b) => b.spend - a.spend || a.job.localeCompare(b.job));
}

/** Says which scope a part of the page needs and that this key lacks it (the part is then not asked for). */
function NeedsScope({ scope, what }: { scope: string; what: string }) {
  return (
    <p className="muted needs-scope">
      {what} needs the <code>{scope}</code> scope, which this key does not hold.
    </p>
  );
}

/** A refusal or failure at the spot where it happened; a missing scope says which. */
function Refusal({ error, title }: { error: unknown; title: string }) {
  if (error instanceof ApiError && error.status === 403) {
    const scope = typeof error.problem.scope === 'string' ? error.problem.scope : null;
    return <ErrorBox error={error} title={scope ? `Not allowed without ${scope}` : 'Not allowed with this key'} />;
  }
  return <ErrorBox error={error} title={title} />;
}

/**
 * The team's page: its keys (made with scopes, revoked), its budget and spend this month, its quotas and what each
 * job spent. What this key's scopes do not allow is not asked for, and says which scope it needs.
 */
export function Team() {
  const auth = useAuth();
  const me = useAsync((signal) => api.get<Me>('/v1/me', { signal }), []);
  if (me.loading && !me.data) return <Loading what="Loading your key" />;
  if (!me.data) return <ErrorBox error={me.error} title="Could not tell who this key is" />;
  const m = me.data;
  const team = m.team_id ?? (m.admin ? auth.team : null);
  if (!team) {
    return (
      <section>
        <h1>Team</h1>
        <Empty>
          This is the admin key acting for no team: sign out and sign in again with it, choosing the team to look at.
        </Empty>
      </section>
    );
  }
  const can = (scope: string) => grants(m, scope);
  return (
    <section>
      <div className="page-head">
        <h1>
          Team <code>{team}</code>
        </h1>
      </div>
      <KeySummary me={m} />
      <div className="team-cards">
        {can('usage:read') ? <BudgetCard team={team} operator={m.admin} /> : (
          <div className="card"><h2>Budget</h2><NeedsScope scope="usage:read" what="Reading the budget" /></div>
        )}
        {can('usage:read') ? <QuotasCard team={team} operator={m.admin} /> : (
          <div className="card"><h2>Quotas</h2><NeedsScope scope="usage:read" what="Reading the quotas" /></div>
        )}
      </div>
      <h2>Spend by job this month</h2>
      {can('usage:read') ? <JobSpend /> : <NeedsScope scope="usage:read" what="Reading spend" />}
      <h2>API keys</h2>
      {can('team:admin') ? <Keys team={team} me={m} /> : <NeedsScope scope="team:admin" what="Managing the team's keys" />}
    </section>
  );
}

function KeySummary({ me }: { me: Me }) {
  return (
    <dl className="facts" aria-label="This key">
      <dt>Signed in with</dt>
      <dd>{me.admin ? 'the admin key (every scope)' : <>key <code>{me.key_id}</code></>}</dd>
      {!me.admin && (
        <>
          <dt>Its scopes</dt>
          <dd>
            <ScopeChips scopes={me.scopes} />
          </dd>
          <dt>Expires</dt>
          <dd title={me.expires_at ?? undefined}>{me.expires_at ? when(me.expires_at) : 'never'}</dd>
        </>
      )}
    </dl>
  );
}

function ScopeChips({ scopes }: { scopes: string[] }) {
  if (scopes.length === 0) return <span className="muted">none</span>;
  return (
    <span className="chips">
      {scopes.map((s) => (
        <code key={s} className="chip">
          {s}
        </code>
      ))}
    </span>
  );
}

/** A date as the day it falls on (UTC) — `2026-12-31`. */
export function when(iso: string): string {
  const t = new Date(iso);
  return Number.isNaN(t.getTime()) ? iso : t.toISOString().slice(0, 10);
}

function BudgetCard({ team, operator }: { team: string; operator: boolean }) {
  const budget = useAsync((signal) => api.get<TeamBudget>(`/v1/teams/${team}/budget`, { signal }), [team]);
  const b = budget.data;
  return (
    <div className="card" role="region" aria-label="Budget">
      <h2>Budget{b && <span className="muted"> · {b.month}</span>}</h2>
      <Refusal error={budget.error} title="Could not load the budget" />
      {budget.loading && !b ? (
        <Loading what="Loading the budget" />
      ) : b && (
        b.monthly_limit === null ? (
          <p>
            <strong>{money(b.spend_this_month, b.currency)}</strong> spent this month. There is no monthly limit.
          </p>
        ) : (
          <>
            <p>
              <strong>{money(b.spend_this_month, b.currency)}</strong> of {money(b.monthly_limit, b.currency)} spent this month
              {b.remaining !== null && <> · {money(b.remaining, b.currency)} left</>}
            </p>
            <LimitBar used={b.spend_this_month} limit={b.monthly_limit} threshold={b.alert_threshold} label="Spend this month"
              text={ofLimit(b.spend_this_month, b.monthly_limit, b.currency)} />
            {b.alert_threshold !== null && (
              <p className="muted">
                Alert at {Math.round(100 * b.alert_threshold)}% ({money(b.alert_threshold * b.monthly_limit, b.currency)})
                {b.alerted && <> · <span className="badge warn">alert given</span></>}
              </p>
            )}
            {b.spend_this_month >= b.monthly_limit && (
              <p className="field-error" role="status">
                The monthly limit is reached: new jobs are refused and running ones pause until an operator raises it.
              </p>
            )}
          </>
        )
      )}
      {b && (operator ? (
        <LimitsForm title="Set the monthly budget" path={`/v1/teams/${team}/budget`} onSaved={budget.reload} fields={[
          { label: `Monthly limit (${b.currency})`, pointer: '/monthly_limit', initial: b.monthly_limit === null ? '' : String(b.monthly_limit),
            help: 'Empty: no limit.', parse: (t) => amount(t, '/monthly_limit', false) },
          { label: 'Alert at (% of the limit)', pointer: '/alert_threshold',
            initial: b.alert_threshold === null ? '' : String(Math.round(1e4 * b.alert_threshold) / 100),
            help: 'Empty: no alert.', parse: (t) => fraction(t, '/alert_threshold') },
        ]} />
      ) : (
        <p className="muted">Only an operator (the admin key) sets the monthly limit.</p>
      ))}
    </div>
  );
}

function QuotaRow({ label, used, max, show }: { label: string; used: number; max: number | null; show: (n: number) => string }) {
  return (
    <div className="quota">
      <div>
        {label}: <strong>{show(used)}</strong> {max === null ? <span className="muted">(unlimited)</span> : <>of {show(max)}</>}
      </div>
      {max !== null && <LimitBar used={used} limit={max} label={label} text={`${show(used)} of ${show(max)}`} />}
    </div>
  );
}

function QuotasCard({ team, operator }: { team: string; operator: boolean }) {
  const quotas = useAsync((signal) => api.get<TeamQuotas>(`/v1/teams/${team}/quotas`, { signal }), [team]);
  const q = quotas.data;
  return (
    <div className="card" role="region" aria-label="Quotas">
      <h2>Quotas</h2>
      <Refusal error={quotas.error} title="Could not load the quotas" />
      {quotas.loading && !q ? (
        <Loading what="Loading the quotas" />
      ) : q && (
        <>
          <QuotaRow label="Concurrent jobs" used={q.used.concurrent_jobs} max={q.max_concurrent_jobs} show={String} />
          <QuotaRow label="Stored" used={q.used.stored_bytes} max={q.max_stored_bytes} show={bytes} />
          <p className="muted">Datasets, models and checkpoints count as stored; validating, queued and running jobs as concurrent.</p>
          {operator && (
            <LimitsForm title="Set the quotas" path={`/v1/teams/${team}/quotas`} onSaved={quotas.reload} fields={[
              { label: 'Max concurrent jobs', pointer: '/max_concurrent_jobs', initial: q.max_concurrent_jobs === null ? '' : String(q.max_concurrent_jobs),
                help: 'Empty: unlimited.', parse: (t) => count(t, '/max_concurrent_jobs') },
              { label: 'Max stored (GiB)', pointer: '/max_stored_bytes',
                initial: q.max_stored_bytes === null ? '' : String(Math.round((100 * q.max_stored_bytes) / 1024 ** 3) / 100),
                help: 'Empty: unlimited.', parse: (t) => gib(t, '/max_stored_bytes') },
            ]} />
          )}
        </>
      )}
    </div>
  );
}

/** An empty box is null (no limit); else what `parse` makes of it, or an ApiError at the field's pointer. */
function limit<T>(text: string, pointer: string, detail: string, parse: (t: string) => T | null): T | null {
  const t = text.trim();
  if (t === '') return null;
  const v = parse(t);
  if (v === null) throw new ApiError(400, 'invalid_limits', 'Not saved.', [{ pointer, detail }]);
  return v;
}

/** An amount of money: more than 0 (or 0 too when `zero`). */
export const amount = (text: string, pointer: string, zero = true) =>
  limit(text, pointer, zero ? 'must be an amount, 0 or more' : 'must be an amount more than 0', (t) => {
    const v = Number(t);
    return Number.isFinite(v) && (zero ? v >= 0 : v > 0) ? v : null;
  });

/** A percentage 1..100 as the fraction the API takes (80 → 0.8). */
export const fraction = (text: string, pointer: string) =>
  limit(text, pointer, 'must be a percentage from 1 to 100', (t) => {
    const v = Number(t);
    return Number.isFinite(v) && v >= 1 && v <= 100 ? v / 100 : null;
  });

/** A whole number, 0 or more. */
export const count = (text: string, pointer: string) =>
  limit(text, pointer, 'must be a whole number, 0 or more', (t) => (/^\d+$/.test(t) ? Number(t) : null));

/** GiB (decimals allowed) as whole bytes. */
export const gib = (text: string, pointer: string) =>
  limit(text, pointer, 'must be a size in GiB, 0 or more', (t) => {
    const v = Number(t);
    return Number.isFinite(v) && v >= 0 ? Math.round(v * 1024 ** 3) : null;
  });

interface LimitField {
  label: string;
  /** The field's JSON pointer in the body (its name there, after the slash). */
  pointer: string;
  initial: string;
  help: string;
  parse: (text: string) => number | null;
}

/** An operator's form that PUTs `{name: value | null}` for each field to `path`, then has the card reload. */
function LimitsForm({ title, path, fields, onSaved }: { title: string; path: string; fields: LimitField[]; onSaved: () => void }) {
  const [values, setValues] = useState(() => fields.map((f) => f.initial));
  const { busy, error, run } = useAction();
  const errors = error instanceof ApiError ? error.byPointer() : {};
  function submit(e: FormEvent) {
    e.preventDefault();
    run(async () => {
      const body = Object.fromEntries(fields.map((f, i) => [f.pointer.slice(1), f.parse(values[i])]));
      await api.put<unknown>(path, body);
      onSaved();
    });
  }
  return (
    <details className="limits">
      <summary>{title}</summary>
      <form onSubmit={submit} aria-label={title} noValidate>
        {fields.map((f, i) => (
          <Field key={f.pointer} label={f.label} help={f.help} error={errors[f.pointer]}>
            {(p) => <input {...p} inputMode="decimal" value={values[i]}
              onChange={(e) => setValues(values.map((v, j) => (j === i ? e.target.value : v)))} />}
          </Field>
        ))}
        <button type="submit" disabled={busy}>{busy ? 'Saving…' : 'Save'}</button>
        <ErrorBox error={error} title="Not saved" hideFieldErrors={error instanceof ApiError && error.errors.every((x) => fields.some((f) => f.pointer === x.pointer))} />
      </form>
    </details>
  );
}

function JobSpend() {
  const range = monthRange();
  const usage = useAsync((signal) => api.get<Usage>(`/v1/usage?from=${range.from}&to=${range.to}`, { signal }), [range.from, range.to]);
  const u = usage.data;
  if (usage.loading && !u) return <Loading what="Loading spend" />;
  if (!u) return <Refusal error={usage.error} title="Could not load spend" />;
  if (!u.training) return <Empty>This server does not report training spend.</Empty>;
  const currency = u.totals?.currency ?? 'USD';
  const rows = spendByJob(u.training);
  return (
    <>
      <Refusal error={usage.error} title="Could not refresh spend" />
      {u.totals && (
        <p>
          Training <strong>{money(u.totals.training_spend, currency)}</strong> · serving <strong>{money(u.totals.serving_spend, currency)}</strong>{' '}
          <span className="muted">
            ({range.from} to {range.to}, UTC)
          </span>
        </p>
      )}
      {rows.length === 0 ? (
        <Empty>No job has spent anything this month.</Empty>
      ) : (
        <div className="table-wrap">
          <table aria-label="Spend by job">
            <thead>
              <tr>
                <th>Job</th>
                <th>Model</th>
                <th>Device time</th>
                <th>Spend</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.job}>
                  <td>
                    <Link to={`/jobs/${r.job}`}>
                      <code>{r.job}</code>
                    </Link>
                  </td>
                  <td>
                    {r.models.map((mo) => (
                      <code key={mo}>{mo} </code>
                    ))}
                  </td>
                  <td>{deviceTime(r.device_seconds)}</td>
                  <td>{money(r.spend, currency)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

/** The state of a key: revoked, expired (by the tab's clock) or active. */
function keyState(k: ApiKey, now = Date.now()): 'revoked' | 'expired' | 'active' {
  if (k.revoked_at) return 'revoked';
  if (k.expires_at && new Date(k.expires_at).getTime() <= now) return 'expired';
  return 'active';
}

function Keys({ team, me }: { team: string; me: Me }) {
  const keys = useAsync((signal) => listAllBy<ApiKey>(`/v1/teams/${team}/api-keys`, (k) => k.id, 1000, signal), [team]);
  const [created, setCreated] = useState<CreatedApiKey | null>(null);
  return (
    <>
      {created && <NewSecret created={created} onDone={() => setCreated(null)} />}
      <CreateKey team={team} onCreated={(k) => {
        setCreated(k);
        keys.reload();
      }} />
      <Refusal error={keys.error} title="Could not load the keys" />
      {keys.loading && !keys.data ? (
        <Loading what="Loading keys" />
      ) : keys.data && keys.data.length === 0 ? (
        <Empty>This team has no keys yet.</Empty>
      ) : keys.data && (
        <div className="table-wrap">
          <table aria-label="API keys">
            <thead>
              <tr>
                <th>Name</th>
                <th>Prefix</th>
                <th>Scopes</th>
                <th>Created</th>
                <th>Last used</th>
                <th>Expires</th>
                <th>Revoked</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {keys.data.map((k) => (
                <KeyRow key={k.id} team={team} k={k} mine={k.id === me.key_id} onRevoked={keys.reload} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

function KeyRow({ team, k, mine, onRevoked }: { team: string; k: ApiKey; mine: boolean; onRevoked: () => void }) {
  const [confirming, setConfirming] = useState(false);
  const { busy, error, run } = useAction();
  const state = keyState(k);
  return (
    <tr className={state === 'active' ? undefined : state}>
      <td title={k.id}>
        {k.name}
        {mine && <> <span className="badge">this key</span></>}
      </td>
      <td>
        <code>{k.prefix}</code>
      </td>
      <td>
        <ScopeChips scopes={k.scopes} />
      </td>
      <td title={k.created_at}>
        {age(k.created_at)}
        {k.created_by && <div className="muted">by {k.created_by}</div>}
      </td>
      <td title={k.last_used_at ?? undefined}>{k.last_used_at ? age(k.last_used_at) : <span className="muted">never</span>}</td>
      <td title={k.expires_at ?? undefined}>
        {k.expires_at ? when(k.expires_at) : <span className="muted">never</span>}
        {state === 'expired' && <> <StatusBadge status="expired" /></>}
      </td>
      <td title={k.revoked_at ?? undefined}>{k.revoked_at ? when(k.revoked_at) : <span className="muted">—</span>}</td>
      <td>
        {state !== 'revoked' && (confirming ? (
          <span className="confirm" role="group" aria-label={`Revoke ${k.name}?`}>
            <span>{mine ? 'Revoke the key this tab uses? You will be signed out.' : 'Calls with it are refused at once.'}</span>
            <button type="button" className="danger" disabled={busy}
              onClick={() => run(async () => {
                await api.del(`/v1/teams/${team}/api-keys/${k.id}`);
                setConfirming(false);
                onRevoked();
              })}>
              {busy ? 'Revoking…' : 'Revoke key'}
            </button>
            <button type="button" className="secondary" disabled={busy} onClick={() => setConfirming(false)}>
              Keep
            </button>
          </span>
        ) : (
          <button type="button" className="secondary" aria-label={`Revoke ${k.name}`} onClick={() => setConfirming(true)}>
            Revoke
          </button>
        ))}
        {error != null && <div className="field-error" role="alert">Not revoked: {errorText(error)}</div>}
      </td>
    </tr>
  );
}

function NewSecret({ created, onDone }: { created: CreatedApiKey; onDone: () => void }) {
  const [copied, setCopied] = useState<'yes' | 'failed' | null>(null);
  return (
    <div className="card notice-card" role="region" aria-label="New key">
      <p>
        Key <strong>{created.name}</strong> was created. Copy its secret now: it is not shown again.
      </p>
      <div className="secret">
        <code aria-label="Secret">{created.key}</code>
        <button type="button" onClick={() => {
          navigator.clipboard.writeText(created.key).then(() => setCopied('yes'), () => setCopied('failed'));
        }}>
          Copy
        </button>
        <button type="button" className="secondary" onClick={onDone}>
          Done
        </button>
        {copied === 'yes' && <span className="ok" role="status">Copied.</span>}
        {copied === 'failed' && <span className="field-error" role="alert">The browser refused to copy: select it and copy it by hand.</span>}
      </div>
    </div>
  );
}

/** The body of POST /v1/teams/{id}/api-keys from the form; throws ApiError at the field's pointer for what it refuses. */
export function keyBody(name: string, scopes: string[], expiryDays: string): { name: string; scopes: string[]; expires_in_days?: number } {
  const errors = [];
  if (name.trim() === '') errors.push({ pointer: '/name', detail: 'must not be blank' });
  if (scopes.length === 0) errors.push({ pointer: '/scopes', detail: 'choose at least one scope' });
  const days = expiryDays.trim();
  if (days !== '' && !(/^\d+$/.test(days) && Number(days) >= 1)) {
    errors.push({ pointer: '/expires_in_days', detail: 'must be a whole number of days, 1 or more' });
  }
  if (errors.length) throw new ApiError(400, 'invalid_key', 'The key was not created.', errors);
  // in the server's order, whatever order they were ticked in
  const ordered = TEAM_SCOPES.filter((s) => scopes.includes(s));
  return { name: name.trim(), scopes: ordered, ...(days !== '' ? { expires_in_days: Number(days) } : {}) };
}

/** A problem's field errors for the scopes (`/scopes`, `/scopes/3`) as one line naming each refused scope. */
function scopesError(byPointer: Record<string, string>, sent: string[]): string | undefined {
  const lines = Object.entries(byPointer)
    .filter(([p]) => p === '/scopes' || p.startsWith('/scopes/'))
    .map(([p, d]) => {
      const i = p.startsWith('/scopes/') ? Number(p.slice('/scopes/'.length)) : NaN;
      return Number.isInteger(i) && sent[i] !== undefined ? `${sent[i]}: ${d}` : d;
    });
  return lines.length ? lines.join('; ') : undefined;
}

/** The pointers the form shows at a field; any other is listed under the form. */
const FORM_POINTERS = /^\/(name|expires_in_days|expires_at|scopes(\/\d+)?)$/;

function CreateKey({ team, onCreated }: { team: string; onCreated: (k: CreatedApiKey) => void }) {
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<string[]>(DEFAULT_SCOPES);
  const [days, setDays] = useState('');
  const [sent, setSent] = useState<string[]>([]);
  const { busy, error, run } = useAction();
  const fields = error instanceof ApiError ? error.byPointer() : {};
  const scopeError = scopesError(fields, sent);

  function toggle(s: string, on: boolean) {
    setScopes((old) => (on ? [...old.filter((o) => o !== s), s] : old.filter((o) => o !== s)));
  }

  function submit(e: FormEvent) {
    e.preventDefault();
    run(async () => {
      const body = keyBody(name, scopes, days);
      setSent(body.scopes);
      const k = await api.post<CreatedApiKey>(`/v1/teams/${team}/api-keys`, body);
      setName('');
      setDays('');
      setScopes(DEFAULT_SCOPES);
      onCreated(k);
    });
  }

  return (
    <details className="card">
      <summary>Create a key</summary>
      <form onSubmit={submit} aria-label="Create a key" noValidate>
        <div className="row">
          <Field label="Name" error={fields['/name']} help="What it is for, e.g. ci-evaluations.">
            {(p) => <input {...p} value={name} onChange={(e) => setName(e.target.value)} />}
          </Field>
          <Field label="Expires after (days)" error={fields['/expires_in_days'] ?? fields['/expires_at']} help="Empty: it never expires.">
            {(p) => <input {...p} inputMode="numeric" value={days} onChange={(e) => setDays(e.target.value)} />}
          </Field>
        </div>
        <fieldset className="scopes" aria-invalid={!!scopeError} aria-describedby={scopeError ? 'scopes-error' : undefined}>
          <legend>Scopes</legend>
          <p className="muted">
            A <code>:write</code> scope implies the <code>:read</code> one. <code>team:admin</code> manages this team's keys.{' '}
            <button type="button" className="link" onClick={() => setScopes(DEFAULT_SCOPES)}>defaults</button>{' · '}
            <button type="button" className="link" onClick={() => setScopes([])}>none</button>
          </p>
          <div className="scope-grid">
            {TEAM_SCOPES.map((s) => (
              <label key={s} className="check">
                <input type="checkbox" checked={scopes.includes(s)} onChange={(e) => toggle(s, e.target.checked)} /> <code>{s}</code>
              </label>
            ))}
          </div>
          {scopeError && (
            <small id="scopes-error" className="field-error" role="alert">
              {scopeError}
            </small>
          )}
        </fieldset>
        <button type="submit" disabled={busy}>
          {busy ? 'Creating…' : 'Create key'}
        </button>
        <ErrorBox error={error} title="The key was not created"
          hideFieldErrors={error instanceof ApiError && error.errors.every((f) => FORM_POINTERS.test(f.pointer))} />
      </form>
    </details>
  );
}
