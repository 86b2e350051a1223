import { useState, type FormEvent } from 'react';
import { useLocation, useNavigate } from 'react-router-dom';
import { useAuth } from '../auth';
import type { Team } from '../api';
import { ErrorBox, Field, useAction } from '../components/ui';

export function SignIn() {
  const auth = useAuth();
  const navigate = useNavigate();
  const location = useLocation();
  const [key, setKey] = useState('');
  // set once the key turned out to be the admin key, which signs in for one of these teams
  const [teams, setTeams] = useState<Team[] | null>(null);
  const [team, setTeam] = useState('');
  const { busy, error, run } = useAction();

  function submit(e: FormEvent) {
    e.preventDefault();
    run(async () => {
      const choices = await auth.signIn(key, teams ? team : null);
      if (choices) {
        setTeams(choices);
        setTeam(choices.length === 1 ? choices[0].id : '');
        return;
      }
      const from = (location.state as { from?: string } | null)?.from;
      navigate(from && from !== '/signin' ? from : '/jobs', { replace: true });
    });
  }

  function changeKey(next: string) {
    setKey(next);
    setTeams(null);
    setTeam('');
  }

  return (
    <main className="signin" id="main">
      <h1>Tropism</h1>
      <p>Alignment as a service. Sign in with your team's API key.</p>
      {auth.notice && <p className="notice" role="status">{auth.notice}</p>}
      <form onSubmit={submit} aria-label="Sign in">
        <Field label="API key" help="A team key (tro_…), or the admin key. It is kept in this tab's session storage only.">
          {(p) => (
            <input {...p} type="password" autoComplete="off" value={key} required autoFocus
              onChange={(e) => changeKey(e.target.value)} />
          )}
        </Field>
        {teams && teams.length > 0 && (
          <Field label="Team" help="This is the admin key: it acts for one team at a time, and also sees the workers.">
            {(p) => (
              <select {...p} value={team} required onChange={(e) => setTeam(e.target.value)}>
                <option value="">choose…</option>
                {teams.map((t) => (
                  <option key={t.id} value={t.id} title={t.id}>
                    {t.name}
                  </option>
                ))}
              </select>
            )}
          </Field>
        )}
        {teams && teams.length === 0 && (
          <p className="notice" role="status">
            This is the admin key, and there is no team yet: create one (<code>POST /v1/teams</code>) and sign in for it.
          </p>
        )}
        <button type="submit" disabled={busy || key.trim() === '' || (teams !== null && team === '')}>
          {busy ? 'Checking…' : 'Sign in'}
        </button>
      </form>
      <ErrorBox error={error} title="Sign-in failed" />
    </main>
  );
}
