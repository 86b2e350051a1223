import { useState, type FormEvent } from 'react';
import { useLocation, useNavigate } from 'react-router-dom';
import { useAuth } from '../auth';
import { ErrorBox, Field, useAction } from '../components/ui';

export function SignIn() {
  const auth = useAuth();
  const navigate = useNavigate();
  const location = useLocation();
  const [key, setKey] = useState('');
  const { busy, error, run } = useAction();

  function submit(e: FormEvent) {
    e.preventDefault();
    run(async () => {
      await auth.signIn(key);
      const from = (location.state as { from?: string } | null)?.from;
      navigate(from && from !== '/signin' ? from : '/jobs', { replace: true });
    });
  }

  return (
    <main className="signin" id="main">
      <h1>Tropism</h1>
      <p>Alignment as a service. Sign in with your team's API key.</p>
      {auth.notice && <p className="notice" role="status">{auth.notice}</p>}
      <form onSubmit={submit} aria-label="Sign in">
        <Field label="API key" help="A team key (tro_…). It is kept in this tab's session storage only.">
          {(p) => (
            <input {...p} type="password" autoComplete="off" value={key} required autoFocus
              onChange={(e) => setKey(e.target.value)} />
          )}
        </Field>
        <button type="submit" disabled={busy || key.trim() === ''}>
          {busy ? 'Checking…' : 'Sign in'}
        </button>
      </form>
      <ErrorBox error={error} title="Sign-in failed" />
    </main>
  );
}
