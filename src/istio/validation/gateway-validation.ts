/**
 * Gateway semantics of Istio's validating webhook (`istio/istio` `pkg/config/validation/validation.go`:
 * `ValidateGateway`, `validateServer`, `validateServerPort`), with Istio's message texts.
 */
import type { FieldError } from './field-error.js';
import { FieldPath } from './field-error.js';
import { webhookError } from './istio-common.js';
import { isDns1123Label, namespacedHostError, portError } from './istio-host.js';
import { arrayAt, has, isRecord, numberAt, recordAt, stringAt } from '../../core/json-shape.js';

/** Protocols `protocol.Parse` knows (case-insensitive). */
const protocols = [
  'HTTP',
  'HTTPS',
  'HTTP2',
  'HTTP_PROXY',
  'GRPC',
  'GRPC-WEB',
  'TCP',
  'TLS',
  'MONGO',
  'REDIS',
  'MYSQL',
  'UDP',
];
const tlsProtocols = ['HTTPS', 'TLS'];

export function validateGateway(name: string, spec: unknown): FieldError[] {
  const path = FieldPath.root('spec');
  const errs: FieldError[] = [];
  if (!isDns1123Label(name))
    errs.push(
      webhookError(
        FieldPath.root('metadata').child('name'),
        name,
        `invalid gateway name: ${JSON.stringify(name)}`,
      ),
    );
  if (!isRecord(spec)) return errs;
  const servers = arrayAt(spec, 'servers') ?? [];
  if (servers.length === 0)
    errs.push(webhookError(path.child('servers'), null, 'gateway must have at least one server'));
  const portNames = new Set<string>();
  servers.forEach((server, i) => {
    const p = path.child('servers').index(i);
    if (!isRecord(server)) {
      errs.push(webhookError(p, null, 'server may not be nil'));
      return;
    }
    const hosts = (arrayAt(server, 'hosts') ?? []).filter((h): h is string => typeof h === 'string');
    if (hosts.length === 0)
      errs.push(webhookError(p.child('hosts'), null, 'server config must contain at least one host'));
    hosts.forEach((h, j) => {
      for (const m of namespacedHostError(h, true)) errs.push(webhookError(p.child('hosts').index(j), h, m));
    });
    const port = recordAt(server, 'port');
    if (port === undefined) {
      errs.push(webhookError(p.child('port'), null, 'port is required'));
      return;
    }
    const protocol = (stringAt(port, 'protocol') ?? '').toUpperCase();
    const portOk = protocols.includes(protocol);
    if (!portOk)
      errs.push(
        webhookError(
          p.child('port').child('protocol'),
          stringAt(port, 'protocol') ?? '',
          `invalid protocol ${JSON.stringify(stringAt(port, 'protocol') ?? '')}, supported protocols are HTTP, HTTP2, GRPC, GRPC-WEB, MONGO, REDIS, MYSQL, TCP`,
        ),
      );
    const number = numberAt(port, 'number') ?? 0;
    const bind = stringAt(server, 'bind') ?? '';
    const numberError = number > 0 || !bind.startsWith('unix://') ? portError(number) : undefined;
    if (numberError !== undefined)
      errs.push(webhookError(p.child('port').child('number'), number, numberError));
    const portName = stringAt(port, 'name') ?? '';
    if (portName === '') errs.push(webhookError(p.child('port').child('name'), '', 'port name must be set'));
    if (portNames.has(portName))
      errs.push(
        webhookError(
          p.child('port').child('name'),
          portName,
          `port names in servers must be unique: duplicate name ${portName}`,
        ),
      );
    portNames.add(portName);
    if (portOk && numberError === undefined && portName !== '') {
      const isTls = tlsProtocols.includes(protocol);
      if (isTls && !has(server, 'tls'))
        errs.push(
          webhookError(p.child('tls'), null, 'server must have TLS settings for HTTPS/TLS protocols'),
        );
      else if (!isTls && has(server, 'tls') && !protocol.startsWith('HTTP') && protocol !== 'GRPC')
        errs.push(
          webhookError(p.child('tls'), null, 'server cannot have TLS settings for non HTTPS/TLS ports'),
        );
    }
  });
  return errs;
}
