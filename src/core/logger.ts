/**
 * Structured logging (pino), one child logger per module with a `component` field. Logs go to stderr,
 * as Envoy's do; stdout is left for access logs. The level comes from `SPILLWAY_LOG_LEVEL` (default
 * `info`) or `setLogLevel()`, which also re-levels loggers created earlier.
 */
import { pino, type Logger } from 'pino';

export type { Logger };

const root: Logger = pino(
  { level: process.env['SPILLWAY_LOG_LEVEL'] ?? 'info', base: { pid: process.pid } },
  pino.destination({ fd: 2, sync: true }),
);
const children: Logger[] = [];

export function createLogger(component: string): Logger {
  const child = root.child({ component });
  children.push(child);
  return child;
}

export function setLogLevel(level: string): void {
  root.level = level;
  for (const child of children) child.level = level;
}
