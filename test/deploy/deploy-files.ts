/**
 * Paths of the shipped monitoring files (deploy/) and the PrometheusRule manifest generated from the
 * plain rules file, so that the two never drift: `SPILLWAY_UPDATE_DEPLOY=1 node --test
 * dist/test/deploy/alert-rules.test.js` rewrites the manifest (then `npx prettier --write deploy/`).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';

const root = (path: string): string => fileURLToPath(new URL(`../../../${path}`, import.meta.url));

export const repoRoot = root('');
export const rulesFile = root('deploy/prometheus/spillway-alerts.yaml');
export const rulesTestsDir = root('deploy/prometheus/tests');
export const prometheusRuleFile = root('deploy/kubernetes/spillway-prometheusrule.yaml');
export const dashboardFile = root('deploy/grafana/spillway-failover.json');
export const alertsDoc = root('docs/alerts.md');

export interface AlertRule {
  readonly alert?: string;
  readonly record?: string;
  readonly expr: string;
  readonly for?: string;
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
}

export interface RuleGroup {
  readonly name: string;
  readonly rules: readonly AlertRule[];
}

export function readRuleGroups(path = rulesFile): RuleGroup[] {
  const doc = parse(readFileSync(path, 'utf8')) as { groups: RuleGroup[] };
  return doc.groups;
}

const header = `# Generated from deploy/prometheus/spillway-alerts.yaml (the same groups, as a prometheus-operator
# PrometheusRule). Do not edit by hand: see test/deploy/deploy-files.ts. Apply it in the namespace
# your Prometheus' ruleSelector / ruleNamespaceSelector watch, e.g.
#   kubectl apply -n monitoring -f deploy/kubernetes/spillway-prometheusrule.yaml
`;

/** The PrometheusRule manifest for the rule groups of the plain rules file. */
export function renderPrometheusRule(groups: readonly RuleGroup[]): string {
  const manifest = {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: {
      name: 'spillway-alerts',
      labels: {
        'app.kubernetes.io/name': 'spillway',
        'app.kubernetes.io/component': 'alert-rules',
        role: 'alert-rules',
      },
    },
    spec: { groups },
  };
  return `${header}${stringify(manifest, { lineWidth: 0 })}`;
}
