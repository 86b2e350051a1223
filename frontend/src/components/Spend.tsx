import { money } from '../api';

/** Device time in seconds as "42.5 s", "4m 05s" or "2h 03m". */
export function deviceTime(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return '—';
  if (seconds < 60) return `${(Math.round(seconds * 10) / 10).toFixed(1)} s`;
  const s = Math.round(seconds);
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** How full a bar is, as a percentage clamped to 0..100 (0 when the limit is not positive). */
export function percent(used: number, limit: number): number {
  if (!(limit > 0)) return 0;
  return Math.min(100, Math.max(0, (100 * used) / limit));
}

/**
 * Spend (or any amount) against a limit: a bar that turns amber past the alert threshold (a fraction 0..1,
 * marked on the bar) and red once the limit is reached. `label` names it for assistive technology; `text` is
 * what the value reads as there.
 */
export function LimitBar({ used, limit, threshold = null, label, text }: {
  used: number;
  limit: number;
  threshold?: number | null;
  label: string;
  text: string;
}) {
  const state = used >= limit ? 'over' : threshold !== null && used >= threshold * limit ? 'warn' : 'ok';
  return (
    <div className={`limit-bar ${state}`} role="progressbar" aria-label={label} aria-valuemin={0} aria-valuemax={limit}
      aria-valuenow={Math.min(used, limit)} aria-valuetext={text}>
      <div className="fill" style={{ width: `${percent(used, limit)}%` }} />
      {threshold !== null && threshold > 0 && threshold < 1 && (
        <div className="threshold" style={{ left: `${100 * threshold}%` }} title={`Alert at ${Math.round(100 * threshold)}%`} />
      )}
    </div>
  );
}

/** "$1.20 of $5.00 (24%)". */
export const ofLimit = (used: number, limit: number, currency: string) =>
  `${money(used, currency)} of ${money(limit, currency)} (${Math.round((100 * used) / limit)}%)`;
