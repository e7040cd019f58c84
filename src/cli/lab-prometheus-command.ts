/**
 * `spillway lab prometheus`: a real Prometheus (Debian's `prometheus` binary) scraping the running
 * lab through its HTTP service discovery, with Spillway's alert rules loaded (ADR 0017).
 */
import type { Command } from 'commander';
import type { LabPrometheusOptions } from './lab-prometheus-run.js';

export function registerLabPrometheusCommand(lab: Command): void {
  lab
    .command('prometheus')
    .description(
      "Start Prometheus for the running lab (every proxy and control plane scraped, Spillway's alert rules loaded) and print its URL.",
    )
    .option(
      '--port <port>',
      'port of the Prometheus web UI and API (on the lab address 127.<base+1>.0.3)',
      '9090',
    )
    .option('--scrape-interval <duration>', 'Prometheus scrape interval (also the discovery refresh)', '1s')
    .option('--evaluation-interval <duration>', 'Prometheus rule evaluation interval', '1s')
    .option('--timeout <seconds>', 'how long to wait for Prometheus to be ready', '60')
    .option('--json', 'print where everything is as JSON instead of text')
    .option('--state-dir <dir>', 'lab state directory (default: $SPILLWAY_LAB_DIR or ~/.spillway/lab)')
    .addHelpText(
      'after',
      `
Prometheus runs as a process of the lab: 'spillway lab down' stops it, 'spillway lab status' shows
it. Its configuration (<state-dir>/prometheus/prometheus.yml) has one scrape job over the lab's
HTTP service discovery, so pods that come and go are followed; its data is in
<state-dir>/prometheus/data, its log in <state-dir>/logs/lab.prometheus.log. Running it again with
the same flags keeps the running one; other flags restart it.

Needs Debian's 'prometheus' package (sudo apt-get install --no-install-recommends prometheus), or
SPILLWAY_PROMETHEUS=<path to the binary> (for the lab's supervisor too, when it started).

Examples:
  spillway lab up --detach && spillway lab prometheus
  curl -s "$(spillway lab prometheus | tail -n1)/api/v1/alerts"

The last line printed is Prometheus' base URL (with --json: a JSON object with "url").
Exit status: 0 once Prometheus is ready; 1 if no lab runs, the binary is missing, a flag is
invalid or Prometheus did not become ready.`,
    )
    .action(async (options: LabPrometheusOptions) => {
      const { runLabPrometheus } = await import('./lab-prometheus-run.js');
      process.exitCode = await runLabPrometheus(options);
    });
}
