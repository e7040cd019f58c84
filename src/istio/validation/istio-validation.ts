/**
 * Istio's validating webhook for the kinds we serve (`istio/istio`
 * `pkg/config/validation/validation.go`): dispatch, plus the smaller kinds - ServiceEntry
 * (`ValidateServiceEntry`), Sidecar (`ValidateSidecar`) and AuthorizationPolicy
 * (`ValidateAuthorizationPolicy`), PeerAuthentication (`ValidatePeerAuthentication`) and
 * WorkloadEntry (`validateWorkloadEntry`, address and ports only).
 */
import { validateDestinationRule } from './destination-rule-validation.js';
import type { FieldError } from './field-error.js';
import { FieldPath } from './field-error.js';
import { validateGateway } from './gateway-validation.js';
import { isCrdRuleError, webhookError } from './istio-common.js';
import { namespacedHostError, portError, wildcardDomainError } from './istio-host.js';
import { arrayAt, has, isRecord, numberAt, recordAt, stringAt } from '../../core/json-shape.js';
import { validateVirtualService } from './virtual-service-validation.js';

/** An Istio resource as JSON: what the checks read of it. */
export interface IstioObject {
  readonly kind: string;
  readonly metadata: { readonly name?: string; readonly [key: string]: unknown };
  readonly [key: string]: unknown;
}

/**
 * The CRD's duration rules (checked by kube-apiserver during validation) and Istio's webhook
 * (admission, after validation passed): when a CRD rule fails, only those errors are reported.
 * Without the webhook (`isWebhookEnabled: false`, a cluster where istiod's validating webhook is not
 * installed) only the CRD rules apply.
 */
export function validateIstioSemantics(
  object: IstioObject,
  options: { isWebhookEnabled?: boolean } = {},
): FieldError[] {
  const errors = webhookAndRuleErrors(object);
  const ruleErrors = errors.filter(isCrdRuleError);
  return ruleErrors.length > 0 || options.isWebhookEnabled === false ? ruleErrors : errors;
}

function webhookAndRuleErrors(object: IstioObject): FieldError[] {
  const spec = object['spec'];
  switch (object.kind) {
    case 'DestinationRule':
      return validateDestinationRule(spec);
    case 'VirtualService':
      return validateVirtualService(spec);
    case 'Gateway':
      return validateGateway(object.metadata.name ?? '', spec);
    case 'ServiceEntry':
      return validateServiceEntry(spec);
    case 'Sidecar':
      return validateSidecar(spec);
    case 'AuthorizationPolicy':
      return validateAuthorizationPolicy(spec);
    case 'PeerAuthentication':
      return validatePeerAuthentication(spec);
    case 'WorkloadEntry':
      return validateWorkloadEntry(spec);
    default:
      return [];
  }
}

function validateServiceEntry(spec: unknown): FieldError[] {
  const path = FieldPath.root('spec');
  const errs: FieldError[] = [];
  if (!isRecord(spec)) return errs;
  if (has(spec, 'workloadSelector') && has(spec, 'endpoints'))
    errs.push(
      webhookError(path, null, 'only one of WorkloadSelector or Endpoints is allowed in Service Entry'),
    );
  const hosts = arrayAt(spec, 'hosts') ?? [];
  if (hosts.length === 0)
    errs.push(webhookError(path.child('hosts'), null, 'service entry must have at least one host'));
  hosts.forEach((host, i) => {
    if (typeof host !== 'string') return;
    const error = host === '*' ? `invalid host ${host}` : wildcardDomainError(host);
    if (error !== undefined) errs.push(webhookError(path.child('hosts').index(i), host, error));
  });
  const resolution = stringAt(spec, 'resolution') ?? 'NONE';
  const hasCidr = (arrayAt(spec, 'addresses') ?? []).some((a) => typeof a === 'string' && a.includes('/'));
  if (hasCidr && resolution !== 'NONE' && resolution !== 'STATIC')
    errs.push(
      webhookError(
        path.child('addresses'),
        null,
        'CIDR addresses are allowed only for NONE/STATIC resolution types',
      ),
    );
  const names = new Set<string>();
  const numbers = new Set<number>();
  (arrayAt(spec, 'ports') ?? []).forEach((port, i) => {
    const p = path.child('ports').index(i);
    if (!isRecord(port)) return;
    const name = stringAt(port, 'name') ?? '';
    if (names.has(name))
      errs.push(
        webhookError(
          p.child('name'),
          name,
          `service entry port name ${JSON.stringify(name)} already defined`,
        ),
      );
    names.add(name);
    const number = numberAt(port, 'number') ?? 0;
    if (numbers.has(number))
      errs.push(webhookError(p.child('number'), number, `service entry port ${number} already defined`));
    numbers.add(number);
    const error = portError(number);
    if (error !== undefined) errs.push(webhookError(p.child('number'), number, error));
  });
  return errs;
}

function validateSidecar(spec: unknown): FieldError[] {
  const path = FieldPath.root('spec');
  if (!isRecord(spec)) return [];
  const egress = arrayAt(spec, 'egress') ?? [];
  const ingress = arrayAt(spec, 'ingress') ?? [];
  if (
    egress.length === 0 &&
    ingress.length === 0 &&
    !has(spec, 'outboundTrafficPolicy') &&
    !has(spec, 'inboundConnectionPool')
  )
    return [webhookError(path, spec, 'sidecar: empty configuration provided')];
  const errs: FieldError[] = [];
  ingress.forEach((listener, i) => {
    if (!has(listener, 'port'))
      errs.push(
        webhookError(
          path.child('ingress').index(i).child('port'),
          null,
          'sidecar: port is required for ingress listeners',
        ),
      );
  });
  egress.forEach((listener, i) => {
    const p = path.child('egress').index(i);
    if (!has(listener, 'port') && i !== egress.length - 1)
      errs.push(
        webhookError(
          p.child('port'),
          null,
          'sidecar: the egress listener with empty port should be the last listener in the list',
        ),
      );
    const hosts = arrayAt(listener, 'hosts') ?? [];
    if (hosts.length === 0)
      errs.push(
        webhookError(p.child('hosts'), null, 'sidecar: egress listener must contain at least one host'),
      );
    hosts.forEach((h, j) => {
      if (typeof h === 'string')
        for (const m of namespacedHostError(h, false))
          errs.push(webhookError(p.child('hosts').index(j), h, m));
    });
  });
  return errs;
}

const emptyRulesHint = 'add an empty rule `{}` if you want it be triggered for every request';

function validateAuthorizationPolicy(spec: unknown): FieldError[] {
  const path = FieldPath.root('spec');
  if (!isRecord(spec)) return [];
  const errs: FieldError[] = [];
  const action = stringAt(spec, 'action') ?? 'ALLOW';
  const hasRules = has(spec, 'rules');
  const selectors =
    ['selector', 'targetRef'].filter((f) => has(spec, f)).length +
    ((arrayAt(spec, 'targetRefs') ?? []).length > 0 ? 1 : 0);
  if (selectors > 1)
    errs.push(webhookError(path, null, 'only one of targetRefs or workloadSelector can be set'));
  if (action === 'CUSTOM') {
    if (!hasRules)
      errs.push(
        webhookError(
          path.child('rules'),
          null,
          `CUSTOM action without \`rules\` is meaningless as it will never be triggered, ${emptyRulesHint}`,
        ),
      );
    else if ((stringAt(recordAt(spec, 'provider'), 'name') ?? '') === '')
      errs.push(webhookError(path.child('provider').child('name'), '', '`provider.name` must not be empty'));
  } else if (has(spec, 'provider')) {
    errs.push(
      webhookError(
        path.child('provider'),
        null,
        `\`provider\` must not be with non CUSTOM action, found ${action}`,
      ),
    );
  }
  if (action === 'DENY' && !hasRules)
    errs.push(
      webhookError(
        path.child('rules'),
        null,
        `DENY action without \`rules\` is meaningless as it will never be triggered, ${emptyRulesHint}`,
      ),
    );
  (arrayAt(spec, 'rules') ?? []).forEach((rule, i) => {
    const p = path.child('rules').index(i);
    if (!isRecord(rule)) {
      errs.push(webhookError(p, null, `\`rule\` must not be nil, found at rule ${i}`));
      return;
    }
    const from = arrayAt(rule, 'from');
    if (from !== undefined && from.length === 0)
      errs.push(webhookError(p.child('from'), null, `\`from\` must not be empty, found at rule ${i}`));
    (from ?? []).forEach((f, j) => {
      const source = recordAt(f, 'source');
      if (source === undefined)
        errs.push(
          webhookError(
            p.child('from').index(j).child('source'),
            null,
            `\`from.source\` must not be nil, found at rule ${i}`,
          ),
        );
      else if (Object.values(source).every((v) => !Array.isArray(v) || v.length === 0))
        errs.push(
          webhookError(
            p.child('from').index(j).child('source'),
            source,
            `\`from.source\` must not be empty, found at rule ${i}`,
          ),
        );
    });
    const to = arrayAt(rule, 'to');
    if (to !== undefined && to.length === 0)
      errs.push(webhookError(p.child('to'), null, `\`to\` must not be empty, found at rule ${i}`));
    (to ?? []).forEach((t, j) => {
      const operation = recordAt(t, 'operation');
      if (operation === undefined)
        errs.push(
          webhookError(
            p.child('to').index(j).child('operation'),
            null,
            `\`to.operation\` must not be nil, found at rule ${i}`,
          ),
        );
      else if (Object.values(operation).every((v) => !Array.isArray(v) || v.length === 0))
        errs.push(
          webhookError(
            p.child('to').index(j).child('operation'),
            operation,
            `\`to.operation\` must not be empty, found at rule ${i}`,
          ),
        );
    });
  });
  return errs;
}

function validatePeerAuthentication(spec: unknown): FieldError[] {
  const path = FieldPath.root('spec');
  if (!isRecord(spec)) return [];
  const errs: FieldError[] = [];
  const portLevel = recordAt(spec, 'portLevelMtls');
  const ports = Object.keys(portLevel ?? {});
  const hasSelector = Object.keys(recordAt(recordAt(spec, 'selector'), 'matchLabels') ?? {}).length > 0;
  if (!hasSelector && ports.length > 0)
    errs.push(
      webhookError(
        path.child('portLevelMtls'),
        null,
        'mesh/namespace peer authentication cannot have port level mTLS',
      ),
    );
  if (portLevel !== undefined && ports.length === 0)
    errs.push(
      webhookError(
        path.child('portLevelMtls'),
        null,
        'port level mTLS, if defined, must have at least one element',
      ),
    );
  for (const port of ports) {
    const n = Number(port);
    if (!Number.isInteger(n) || n <= 0 || n > 65535)
      errs.push(webhookError(path.child('portLevelMtls').key(port), port, 'port must be in range 1..65535'));
  }
  return errs;
}

function validateWorkloadEntry(spec: unknown): FieldError[] {
  const path = FieldPath.root('spec');
  if (!isRecord(spec)) return [];
  const errs: FieldError[] = [];
  if ((stringAt(spec, 'address') ?? '') === '' && (stringAt(spec, 'network') ?? '') === '')
    return [webhookError(path.child('address'), null, 'address is required')];
  for (const [name, port] of Object.entries(recordAt(spec, 'ports') ?? {})) {
    const p = path.child('ports').key(name);
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name) || name.length > 63)
      errs.push(webhookError(p, name, `invalid port name: ${name}`));
    const error = typeof port === 'number' ? portError(port) : undefined;
    if (error !== undefined) errs.push(webhookError(p, port, error));
  }
  return errs;
}
