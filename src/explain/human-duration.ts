/**
 * Durations for people: `300000` -> `5m`, `292400` -> `4m52s`, `1500` -> `1.5s`, `250` -> `250ms`.
 */
export function humanDuration(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 10_000 && ms % 1000 !== 0) return `${(Math.round(ms / 100) / 10).toFixed(1).replace(/\.0$/, '')}s`;
  let seconds = Math.round(ms / 1000);
  const hours = Math.floor(seconds / 3600);
  seconds -= hours * 3600;
  const minutes = Math.floor(seconds / 60);
  seconds -= minutes * 60;
  return (
    (hours > 0 ? `${hours}h` : '') +
    (minutes > 0 ? `${minutes}m` : '') +
    (seconds > 0 || (hours === 0 && minutes === 0) ? `${seconds}s` : '')
  );
}
