import { useCallback, useEffect, useId, useRef, useState, type ReactNode } from 'react';
import { ApiError, download } from '../api';

/** Loads data with `load`, again when `deps` change or `reload()` is called; `every` ms refreshes quietly. */
export function useAsync<T>(load: (signal: AbortSignal) => Promise<T>, deps: unknown[], every?: number) {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  useEffect(() => {
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = () => {
      loadRef
        .current(controller.signal)
        .then((d) => {
          if (controller.signal.aborted) return;
          setData(d);
          setError(null);
        })
        .catch((e) => {
          if (!controller.signal.aborted) setError(e);
        })
        .finally(() => {
          if (controller.signal.aborted) return;
          setLoading(false);
          if (every) timer = setTimeout(run, every);
        });
    };
    setLoading(true);
    run();
    return () => {
      controller.abort();
      clearTimeout(timer);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, tick, every]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, loading, reload, setData };
}

export function Loading({ what = 'Loading' }: { what?: string }) {
  return (
    <p className="loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" /> {what}…
    </p>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <div className="empty">{children}</div>;
}

export function errorText(e: unknown): string {
  if (e instanceof ApiError) return `${e.message}${e.code && !e.code.startsWith('http_') ? ` (${e.code})` : ''}`;
  if (e instanceof Error) return e.message;
  return String(e);
}

/** An error as the user should see it; problem details' field errors are listed unless shown elsewhere. */
export function ErrorBox({ error, title = 'Something went wrong', hideFieldErrors = false }: {
  error: unknown;
  title?: string;
  hideFieldErrors?: boolean;
}) {
  if (!error) return null;
  const fields = error instanceof ApiError && !hideFieldErrors ? error.errors : [];
  return (
    <div className="error-box" role="alert">
      <strong>{title}:</strong> {errorText(error)}
      {fields.length > 0 && (
        <ul>
          {fields.map((f, i) => (
            <li key={i}>
              <code>{f.pointer}</code> {f.detail}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** A labelled form control with its help text and inline error, wired with aria attributes. */
export function Field({ label, help, error, children, className }: {
  label: ReactNode;
  help?: ReactNode;
  error?: string;
  className?: string;
  children: (props: { id: string; 'aria-invalid': boolean; 'aria-describedby'?: string }) => ReactNode;
}) {
  const id = useId();
  const helpId = help ? `${id}-help` : undefined;
  const errId = error ? `${id}-err` : undefined;
  const describedBy = [helpId, errId].filter(Boolean).join(' ') || undefined;
  return (
    <div className={`field${error ? ' invalid' : ''}${className ? ` ${className}` : ''}`}>
      <label htmlFor={id}>{label}</label>
      {children({ id, 'aria-invalid': !!error, 'aria-describedby': describedBy })}
      {help && (
        <small id={helpId} className="help">
          {help}
        </small>
      )}
      {error && (
        <small id={errId} className="field-error" role="alert">
          {error}
        </small>
      )}
    </div>
  );
}

export function age(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return '—';
  return ago((now - new Date(iso).getTime()) / 1000);
}

/** A duration in seconds as "12s ago", "3m ago", …. */
export function ago(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86400)}d ago`;
}

export function StatusBadge({ status }: { status: string }) {
  return <span className={`badge status-${status}`}>{status}</span>;
}

export function fmt(v: number | null | undefined, digits = 4): string {
  if (v === null || v === undefined || Number.isNaN(v)) return '—';
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? v.toExponential(2) : v.toFixed(digits).replace(/\.?0+$/, '');
}

/** A form's submission: `run(fn)` marks it busy, clears the last error and keeps the new one. */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const run = useCallback(async (fn: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await fn();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, run };
}

/** A size in bytes as B, KiB, MiB or GiB. */
export const bytes = (n: number) => (n < 1024 ? `${n} B` : n < 1024 ** 2 ? `${(n / 1024).toFixed(1)} KiB` : n < 1024 ** 3
  ? `${(n / 1024 ** 2).toFixed(1)} MiB` : `${(n / 1024 ** 3).toFixed(2)} GiB`);

/**
 * A button that downloads `path` with the key (a link cannot send it) and saves it under the server's file name
 * (else `fallbackName`); says what it saved, or why not.
 */
export function DownloadButton({ path, fallbackName, label, busyLabel, ariaLabel, title, failure = 'Download failed', className = 'export' }: {
  path: string;
  fallbackName: string;
  label: ReactNode;
  busyLabel: ReactNode;
  ariaLabel?: string;
  title?: string;
  /** The start of the error line. */
  failure?: string;
  className?: string;
}) {
  const { busy, error, run } = useAction();
  const [saved, setSaved] = useState<{ name: string; size: number } | null>(null);
  return (
    <span className={className}>
      <button type="button" className="link" disabled={busy} aria-label={ariaLabel} title={title}
        onClick={() => {
          setSaved(null);
          run(async () => setSaved(await download(path, fallbackName)));
        }}>
        {busy ? busyLabel : label}
      </button>
      {saved && <span className="muted" role="status"> saved {saved.name} ({bytes(saved.size)})</span>}
      {error != null && <span className="field-error" role="alert"> {failure}: {errorText(error)}</span>}
    </span>
  );
}
