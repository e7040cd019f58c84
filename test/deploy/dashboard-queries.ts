/**
 * The PromQL of every panel of the shipped Grafana dashboard, with Grafana's variables replaced by
 * values Prometheus accepts ($__rate_interval -> 1m, $service -> .*).
 */
import { readFileSync } from 'node:fs';
import { dashboardFile } from './deploy-files.js';

export interface PanelQuery {
  readonly panelId: number;
  readonly title: string;
  readonly refId: string;
  readonly expr: string;
}

interface Dashboard {
  readonly panels: ReadonlyArray<{
    readonly id: number;
    readonly title: string;
    readonly targets?: ReadonlyArray<{ readonly refId: string; readonly expr?: string }>;
  }>;
}

export function grafanaToPromQL(expr: string): string {
  return expr.replaceAll('$__rate_interval', '1m').replaceAll('$service', '.*');
}

export function dashboardQueries(path = dashboardFile): PanelQuery[] {
  const dashboard = JSON.parse(readFileSync(path, 'utf8')) as Dashboard;
  return dashboard.panels.flatMap((p) =>
    (p.targets ?? []).map((t) => ({
      panelId: p.id,
      title: p.title,
      refId: t.refId,
      expr: grafanaToPromQL(t.expr ?? ''),
    })),
  );
}
