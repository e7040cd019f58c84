/**
 * The `spillway` command line. Each subcommand lives in its own file under src/cli/.
 */
import { Command } from 'commander';
import { registerApiServerCommand } from './apiserver-command.js';
import { registerControlPlaneCommand } from './control-plane-command.js';
import { registerDemoCommand } from './demo-command.js';
import { registerExplainCommand } from './explain-command.js';
import { registerLabCommand } from './lab-command.js';
import { registerLabFaultCommands } from './lab-fault-command.js';
import { registerLabNodeAgentCommand } from './lab-node-agent-command.js';
import { registerLabPrometheusCommand } from './lab-prometheus-command.js';
import { registerProxyCommand } from './proxy-command.js';

const program = new Command();
program
  .name('spillway')
  .description(
    'A service mesh for service-level disaster recovery (Envoy-compatible proxy, Istio-compatible config).',
  )
  .version('0.1.0');
registerProxyCommand(program);
registerDemoCommand(program);
registerApiServerCommand(program);
registerControlPlaneCommand(program);
const lab = registerLabCommand(program);
registerLabNodeAgentCommand(lab);
registerLabFaultCommands(lab);
registerLabPrometheusCommand(lab);
registerExplainCommand(program);

await program.parseAsync(process.argv);
