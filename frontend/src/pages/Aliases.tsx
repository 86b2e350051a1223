import { useEffect, useState, type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import {
  aliasPath, api, ApiError, listAll, listAllBy,
  type Alias, type AliasDetail, type EvalSuite, type Model, type RewardSpec,
} from '../api';
import { age, Empty, ErrorBox, Field, Loading, useAction, useAsync } from '../components/ui';
import { unplaced } from './LaunchJob';

/**
 * The aliases pointing at a reward spec or model, as chips that open the alias in the Aliases panel. Each chip is a
 * link inside a list item (a role="listitem" on the link itself would hide the link from assistive technology).
 */
export function AliasChips({ aliases }: { aliases?: string[] | null }) {
  if (!aliases || aliases.length === 0) return null;
  return (
    <span className="chips" role="list" aria-label="Aliases">
      {aliases.map((a) => (
        <span key={a} role="listitem">
          <Link className="chip" to={`/evaluations/aliases?name=${encodeURIComponent(a)}`} title={`Alias ${a}`}>
            {a}
          </Link>
        </span>
      ))}
    </span>
  );
}

/** What a reward reference can name: the team's reward specs, its ready reward models and its aliases. */
export interface RewardRefs {
  specs: RewardSpec[];
  models: Model[];
  aliases: Alias[];
}

/** The team's aliases; none on a server without them (404), any other failure is an error. */
export function listAliases(signal?: AbortSignal): Promise<Alias[]> {
  return listAllBy<Alias>('/v1/aliases', (a) => a.name, 500, signal).catch((e) => {
    if (e instanceof ApiError && e.status === 404) return [];
    throw e;
  });
}

/** Loads what `RewardRefSelect` offers. */
export function useRewardRefs() {
  return useAsync<RewardRefs>(
    (signal) =>
      Promise.all([listAll<RewardSpec>('/v1/reward-specs'), listAll<Model>('/v1/models'), listAliases(signal)]).then(([specs, models, aliases]) => ({
        specs,
        models: models.filter((m) => m.family === 'reward-model' && m.status === 'ready'),
        aliases,
      })),
    [],
  );
}

/**
 * A picker of a reward reference: an alias (sent by name, resolved by the server), a reward spec or a ready reward
 * model (sent by id). `specOnly` leaves out reward models and aliases of them (a gold judge is a spec).
 */
export function RewardRefSelect({ refs, value, onChange, none, specOnly = false, ...props }: {
  refs: RewardRefs | undefined;
  value: string;
  onChange: (v: string) => void;
  /** The label of the empty choice. */
  none: string;
  specOnly?: boolean;
  id?: string;
  'aria-invalid'?: boolean;
  'aria-describedby'?: string;
}) {
  const aliases = (refs?.aliases ?? []).filter((a) => !specOnly || a.kind === 'reward_spec');
  return (
    <select {...props} value={value} onChange={(e) => onChange(e.target.value)}>
      <option value="">{none}</option>
      {aliases.length > 0 && (
        <optgroup label="Aliases">
          {aliases.map((a) => (
            <option key={a.name} value={a.name}>
              {a.name} → {a.target}
            </option>
          ))}
        </optgroup>
      )}
      {(refs?.specs.length ?? 0) > 0 && (
        <optgroup label="Reward specs">
          {refs!.specs.map((s) => (
            <option key={s.id} value={s.id}>
              {s.name} ({s.id})
            </option>
          ))}
        </optgroup>
      )}
      {!specOnly && (refs?.models.length ?? 0) > 0 && (
        <optgroup label="Reward models">
          {refs!.models.map((m) => (
            <option key={m.id} value={m.id}>
              {m.name} ({m.id})
            </option>
          ))}
        </optgroup>
      )}
    </select>
  );
}

/** The 409 of a move that needed a passing evaluation: why, and the evaluation that did not pass (or a way to run one). */
function EvaluationRequired({ error, target }: { error: ApiError; target: string }) {
  const evaluation = typeof error.problem.evaluation === 'string' ? error.problem.evaluation : null;
  const suite = typeof error.problem.suite === 'string' ? error.problem.suite : null;
  return (
    <div className="error-box evaluation-required" role="alert">
      <strong>Not moved: the target has not passed the suite{suite ? <> <code>{suite}</code></> : null}.</strong> {error.message}
      <p>
        {evaluation ? (
          <Link to={`/evaluations/${evaluation}`}>See evaluation {evaluation}</Link>
        ) : (
          <>
            No finished evaluation of it on that suite yet:{' '}
            <Link to={`/evaluations?${new URLSearchParams({ ...(suite ? { suite } : {}), candidate: target })}`}>run one</Link>.
          </>
        )}
      </p>
    </div>
  );
}

/** POST /v1/aliases/{name}: creates or moves an alias, optionally only when the target passed a suite. */
function MoveForm({ initialName, refs, suites, onMoved }: {
  initialName: string;
  refs: RewardRefs | undefined;
  suites: EvalSuite[];
  onMoved: (a: Alias) => void;
}) {
  const [name, setName] = useState(initialName);
  // picking another alias in the list fills its name in
  useEffect(() => setName(initialName), [initialName]);
  const [target, setTarget] = useState('');
  const [suite, setSuite] = useState('');
  const [moved, setMoved] = useState<Alias | null>(null);
  const { busy, error, run } = useAction();
  const suiteNames = [...new Set(suites.map((s) => s.name))].sort();

  function submit(e: FormEvent) {
    e.preventDefault();
    setMoved(null);
    run(async () => {
      const a = await api.post<Alias>(aliasPath(name.trim()), { target, ...(suite ? { require_passing_suite: suite } : {}) });
      setMoved(a);
      onMoved(a);
    });
  }
  const errs = error instanceof ApiError ? error.byPointer() : {};
  const gated = error instanceof ApiError && error.code === 'evaluation_required';
  return (
    <form className="card" aria-label="Move an alias" onSubmit={submit}>
      <h3>Create or move an alias</h3>
      <div className="row">
        <Field label="Alias" help="Letters, digits, . _ - and an optional @stage: helpfulness@production." error={errs['/name']}>
          {(p) => <input {...p} value={name} onChange={(e) => setName(e.target.value)} placeholder="helpfulness@production" />}
        </Field>
        <Field label="Target" help="A reward spec, a reward model or another alias." error={errs['/target']}>
          {(p) => <RewardRefSelect {...p} refs={refs} value={target} onChange={setTarget} none="choose…" />}
        </Field>
        <Field label="Require a passing evaluation on" help="Optional: the move happens only if the target's newest evaluation on this suite passed."
          error={errs['/require_passing_suite']}>
          {(p) => (
            <select {...p} value={suite} onChange={(e) => setSuite(e.target.value)}>
              <option value="">(no evaluation required)</option>
              {suiteNames.map((n) => (
                <option key={n} value={n}>
                  {n}
                </option>
              ))}
            </select>
          )}
        </Field>
      </div>
      <button type="submit" disabled={busy || !name.trim() || !target}>
        {busy ? 'Moving…' : 'Move alias'}
      </button>
      {moved && (
        <p role="status" className="ok">
          <code>{moved.name}</code> now points at <code>{moved.target}</code>
          {moved.evaluation && <> (allowed by <Link to={`/evaluations/${moved.evaluation}`}>{moved.evaluation}</Link>)</>}.
        </p>
      )}
      {gated ? (
        <EvaluationRequired error={error as ApiError} target={target} />
      ) : (
        <ErrorBox error={unplaced(error, ['/name', '/target', '/require_passing_suite'])} title="Not moved" />
      )}
    </form>
  );
}

/** GET /v1/aliases/{name}: where it points and every move, newest first. */
function History({ name, tick }: { name: string; tick: number }) {
  const detail = useAsync((signal) => api.get<AliasDetail>(aliasPath(name), { signal }), [name, tick]);
  const moves = detail.data ? [...detail.data.history].sort((a, b) => b.moved_at.localeCompare(a.moved_at)) : [];
  return (
    <div>
      <h3>
        History of <code>{name}</code>
      </h3>
      <ErrorBox error={detail.error} title="Could not load the alias" />
      {detail.loading && !detail.data ? (
        <Loading what="Loading its history" />
      ) : (
        detail.data && (
          <div className="table-wrap scroll">
            <table aria-label={`History of ${name}`}>
              <thead>
                <tr>
                  <th>Moved</th>
                  <th>To</th>
                  <th>From</th>
                  <th>By</th>
                  <th>Allowed by</th>
                </tr>
              </thead>
              <tbody>
                {moves.map((m, i) => (
                  <tr key={i}>
                    <td title={m.moved_at}>{age(m.moved_at)}</td>
                    <td>{m.target ? <code>{m.target}</code> : <span className="muted">(deleted)</span>}</td>
                    <td>{m.previous ? <code>{m.previous}</code> : <span className="muted">(created)</span>}</td>
                    <td>{m.moved_by ?? '—'}</td>
                    <td>
                      {m.evaluation ? <Link to={`/evaluations/${m.evaluation}`}>{m.evaluation}</Link> : <span className="muted">no check</span>}
                      {m.suite && <> on <Link to={`/evaluations/suites/${m.suite}`}><code>{m.suite}</code></Link></>}
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

/** The Aliases tab: the team's aliases, one's history (`?name=`), and the move form. */
export function AliasesPanel() {
  const [params, setParams] = useSearchParams();
  const selected = params.get('name');
  const aliases = useAsync((signal) => listAliases(signal), []);
  const refs = useRewardRefs();
  const suites = useAsync(() => listAll<EvalSuite>('/v1/eval-suites'), []);
  const [tick, setTick] = useState(0);
  return (
    <div className="two-col">
      <div>
        <h2>Aliases</h2>
        <p className="muted">Named pointers at a reward spec or reward model, such as <code>helpfulness@production</code>; jobs and suites may name
          one, and it resolves when they are submitted.</p>
        <ErrorBox error={aliases.error} title="Could not load aliases" />
        {aliases.loading && !aliases.data ? (
          <Loading what="Loading aliases" />
        ) : aliases.data && aliases.data.length === 0 ? (
          <Empty>No aliases yet: create one with the form.</Empty>
        ) : (
          aliases.data && (
            <div className="table-wrap">
              <table aria-label="Aliases">
                <thead>
                  <tr>
                    <th>Alias</th>
                    <th>Points at</th>
                    <th>Moved</th>
                    <th>Allowed by</th>
                  </tr>
                </thead>
                <tbody>
                  {aliases.data.map((a) => (
                    <tr key={a.name}>
                      <td>
                        <button type="button" className={a.name === selected ? 'link current' : 'link'} aria-pressed={a.name === selected}
                          onClick={() => setParams({ name: a.name })}>
                          {a.name}
                        </button>
                      </td>
                      <td>
                        <code>{a.target}</code> <span className="muted">{a.kind.replace('_', ' ')}</span>
                      </td>
                      <td title={a.updated_at}>
                        {age(a.updated_at)}
                        {a.updated_by && <span className="muted"> by {a.updated_by}</span>}
                      </td>
                      <td>{a.evaluation ? <Link to={`/evaluations/${a.evaluation}`}>{a.evaluation}</Link> : <span className="muted">—</span>}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        )}
      </div>
      <div>
        <ErrorBox error={refs.error ?? suites.error} title="Could not load the reward specs, models and suites" />
        <MoveForm initialName={selected ?? ''} refs={refs.data} suites={suites.data ?? []}
          onMoved={(a) => {
            aliases.reload();
            refs.reload();
            setTick((t) => t + 1);
            if (a.name !== selected) setParams({ name: a.name });
          }} />
        {selected && <History name={selected} tick={tick} />}
      </div>
    </div>
  );
}
