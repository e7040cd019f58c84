/**
 * VirtualService semantics of Istio's validating webhook (`istio/istio`
 * `pkg/config/validation/validation.go` `ValidateVirtualService`, `validation_http.go`
 * `validateHTTPRoute`, `validateHTTPRouteDestinations`, `validateHTTPFaultInjection`,
 * `validateHTTPRetry`) plus the CRD duration rules, with Istio's message texts.
 */
import type { FieldError } from './field-error.js';
import { FieldPath } from './field-error.js';
import { checkDuration, webhookError } from './istio-common.js';
import { fqdnError, isDns1123Label, portError, wildcardDomainError } from './istio-host.js';
import { arrayAt, has, isRecord, numberAt, recordAt, stringAt } from '../../core/json-shape.js';

export function validateVirtualService(spec: unknown): FieldError[] {
  const path = FieldPath.root('spec');
  const errs: FieldError[] = [];
  if (!isRecord(spec)) return errs;
  const hosts = (arrayAt(spec, 'hosts') ?? []).filter((h): h is string => typeof h === 'string');
  const gateways = (arrayAt(spec, 'gateways') ?? []).filter((g): g is string => typeof g === 'string');
  if (hosts.length === 0) {
    if (gateways.length > 0)
      errs.push(
        webhookError(
          path.child('gateways'),
          gateways,
          'delegate virtual service must have no gateways specified',
        ),
      );
    if ((arrayAt(spec, 'tls') ?? []).length > 0)
      errs.push(
        webhookError(path.child('tls'), null, 'delegate virtual service must have no tls route specified'),
      );
    if ((arrayAt(spec, 'tcp') ?? []).length > 0)
      errs.push(
        webhookError(path.child('tcp'), null, 'delegate virtual service must have no tcp route specified'),
      );
  }
  gateways.forEach((g, i) =>
    errs.push(...gatewayNameErrors(g).map((m) => webhookError(path.child('gateways').index(i), g, m))),
  );
  const appliesToMesh = gateways.length === 0 || gateways.includes('mesh');
  hosts.forEach((host, i) => {
    const error = wildcardDomainError(host);
    if (error !== undefined) errs.push(webhookError(path.child('hosts').index(i), host, error));
    else if (appliesToMesh && host === '*')
      errs.push(
        webhookError(
          path.child('hosts').index(i),
          host,
          'wildcard host * is not allowed for virtual services bound to the mesh gateway',
        ),
      );
  });
  for (let i = 0; i < hosts.length; i++)
    for (let j = i + 1; j < hosts.length; j++)
      if (hostMatches(hosts[i] ?? '', hosts[j] ?? ''))
        errs.push(
          webhookError(
            path.child('hosts').index(j),
            hosts[j],
            `duplicate hosts in virtual service: ${hosts[i]} & ${hosts[j]}`,
          ),
        );
  const http = arrayAt(spec, 'http') ?? [];
  const tcp = arrayAt(spec, 'tcp') ?? [];
  const tls = arrayAt(spec, 'tls') ?? [];
  if (http.length === 0 && tcp.length === 0 && tls.length === 0)
    errs.push(webhookError(path, spec, 'http, tcp or tls must be provided in virtual service'));
  http.forEach((route, i) => validateHttpRoute(route, path.child('http').index(i), hosts.length === 0, errs));
  tcp.forEach((route, i) => {
    const p = path.child('tcp').index(i);
    if ((arrayAt(route, 'route') ?? []).length === 0)
      errs.push(webhookError(p.child('route'), null, 'TCP route is required'));
    validateRouteDestinations(arrayAt(route, 'route') ?? [], p.child('route'), errs);
  });
  tls.forEach((route, i) => {
    const p = path.child('tls').index(i);
    if ((arrayAt(route, 'match') ?? []).length === 0)
      errs.push(webhookError(p.child('match'), null, 'TLS route must have at least one match condition'));
    if ((arrayAt(route, 'route') ?? []).length === 0)
      errs.push(webhookError(p.child('route'), null, 'TLS route is required'));
    validateRouteDestinations(arrayAt(route, 'route') ?? [], p.child('route'), errs);
  });
  return errs;
}

/** `host.Name.Matches`: equal, or one wildcard covers the other. */
function hostMatches(a: string, b: string): boolean {
  if (a === b) return true;
  const covers = (wild: string, other: string) =>
    wild === '*' || (wild.startsWith('*') && other.endsWith(wild.slice(1)));
  return covers(a, b) || covers(b, a);
}

function gatewayNameErrors(name: string): string[] {
  const slash = name.indexOf('/');
  if (slash === -1) return optional(fqdnError(name));
  const ns = name.slice(0, slash);
  const gw = name.slice(slash + 1);
  const errs: string[] = [];
  if (ns === '' || gw === '') errs.push('config namespace and gateway name cannot be empty');
  if (!isDns1123Label(ns)) errs.push(`invalid value for namespace: ${JSON.stringify(ns)}`);
  if (!isDns1123Label(gw)) errs.push(`invalid value for gateway name: ${JSON.stringify(gw)}`);
  return errs;
}

function optional(error: string | undefined): string[] {
  return error === undefined ? [] : [error];
}

function validateHttpRoute(route: unknown, path: FieldPath, isDelegate: boolean, errs: FieldError[]): void {
  if (!isRecord(route)) {
    errs.push(webhookError(path, null, 'http route may not be null'));
    return;
  }
  const routes = arrayAt(route, 'route') ?? [];
  const isRoot = !isDelegate && has(route, 'delegate');
  if (isRoot) {
    const name = stringAt(route, 'name') ?? '';
    if (has(route, 'redirect'))
      errs.push(
        webhookError(path.child('redirect'), null, `root HTTP route ${name} must not specify redirect`),
      );
    if (has(route, 'route'))
      errs.push(webhookError(path.child('route'), null, `root HTTP route ${name} must not specify route`));
  } else {
    if (isDelegate && has(route, 'delegate'))
      errs.push(webhookError(path.child('delegate'), null, 'delegate HTTP route cannot contain delegate'));
    if (has(route, 'redirect')) {
      if (routes.length > 0)
        errs.push(webhookError(path, null, 'HTTP route cannot contain both route and redirect'));
      if (has(route, 'fault'))
        errs.push(webhookError(path, null, 'HTTP route cannot contain both fault and redirect'));
      if (has(route, 'rewrite'))
        errs.push(webhookError(path, null, 'HTTP route rule cannot contain both rewrite and redirect'));
      if (has(route, 'directResponse'))
        errs.push(
          webhookError(path, null, 'HTTP route rule cannot contain both direct_response and redirect'),
        );
    } else if (has(route, 'directResponse')) {
      if (routes.length > 0)
        errs.push(webhookError(path, null, 'HTTP route cannot contain both route and direct_response'));
      if (has(route, 'fault'))
        errs.push(webhookError(path, null, 'HTTP route cannot contain both fault and direct_response'));
      if (has(route, 'rewrite'))
        errs.push(
          webhookError(path, null, 'HTTP route rule cannot contain both rewrite and direct_response'),
        );
    } else if (routes.length === 0) {
      errs.push(
        webhookError(path.child('route'), null, 'HTTP route, redirect or direct_response is required'),
      );
    }
  }
  if (has(route, 'mirror') && (arrayAt(route, 'mirrors') ?? []).length > 0)
    errs.push(webhookError(path, null, 'HTTP route cannot contain both mirror and mirrors'));
  (arrayAt(route, 'match') ?? []).forEach((match, i) => {
    const port = numberAt(match, 'port') ?? 0;
    const error = port === 0 ? undefined : portError(port);
    if (error !== undefined) errs.push(webhookError(path.child('match').index(i).child('port'), port, error));
  });
  validateFault(recordAt(route, 'fault'), path.child('fault'), errs);
  validateRetries(recordAt(route, 'retries'), path.child('retries'), errs);
  checkDuration(route, 'timeout', path, errs);
  const mirror = recordAt(route, 'mirror');
  if (mirror !== undefined) validateDestination(mirror, path.child('mirror'), errs);
  const mirrorPct = numberAt(recordAt(route, 'mirrorPercentage'), 'value');
  if (mirrorPct !== undefined && mirrorPct > 100)
    errs.push(
      webhookError(
        path.child('mirrorPercentage').child('value'),
        mirrorPct,
        `mirror_percentage must have a max value of 100 (it has ${mirrorPct.toFixed(6)})`,
      ),
    );
  if (mirrorPct !== undefined && mirrorPct < 0)
    errs.push(
      webhookError(
        path.child('mirrorPercentage').child('value'),
        mirrorPct,
        `mirror_percentage must have a min value of 0 (it has ${mirrorPct.toFixed(6)})`,
      ),
    );
  const redirect = recordAt(route, 'redirect');
  if (redirect !== undefined) {
    const code = numberAt(redirect, 'redirectCode') ?? 0;
    if (!['uri', 'authority', 'port', 'derivePort', 'scheme'].some((f) => has(redirect, f)))
      errs.push(
        webhookError(
          path.child('redirect'),
          redirect,
          'redirect must specify URI, authority, scheme, or port',
        ),
      );
    else if (code !== 0 && (code < 300 || code > 399))
      errs.push(
        webhookError(
          path.child('redirect').child('redirectCode'),
          code,
          `${code} is not a valid redirect code, must be 3xx`,
        ),
      );
  }
  const direct = recordAt(route, 'directResponse');
  if (direct !== undefined) {
    const status = numberAt(direct, 'status') ?? 0;
    if (status < 200 || status > 600)
      errs.push(
        webhookError(
          path.child('directResponse').child('status'),
          status,
          `HTTP status ${status} is not in range 200-599`,
        ),
      );
  }
  validateRouteDestinations(routes, path.child('route'), errs);
}

function validateRouteDestinations(routes: readonly unknown[], path: FieldPath, errs: FieldError[]): void {
  let total = 0;
  routes.forEach((r, i) => {
    const p = path.index(i);
    if (!isRecord(r)) {
      errs.push(webhookError(p, null, 'weight may not be nil'));
      return;
    }
    const destination = recordAt(r, 'destination');
    if (destination === undefined)
      errs.push(webhookError(p.child('destination'), null, 'destination is required'));
    else validateDestination(destination, p.child('destination'), errs);
    const weight = numberAt(r, 'weight') ?? 0;
    if (weight < 0) errs.push(webhookError(p.child('weight'), weight, `weight ${weight} < 0`));
    total += weight;
  });
  if (routes.length > 1 && total === 0) errs.push(webhookError(path, null, 'total destination weight = 0'));
}

function validateDestination(
  destination: Record<string, unknown>,
  path: FieldPath,
  errs: FieldError[],
): void {
  const host = stringAt(destination, 'host') ?? '';
  const hostError = host === '*' ? `invalid destination host ${host}` : wildcardDomainError(host);
  if (hostError !== undefined) errs.push(webhookError(path.child('host'), host, hostError));
  const subset = stringAt(destination, 'subset');
  if (subset !== undefined && subset !== '' && !isDns1123Label(subset))
    errs.push(webhookError(path.child('subset'), subset, `subset name is invalid: ${subset}`));
  const port = numberAt(recordAt(destination, 'port'), 'number');
  if (port !== undefined) {
    const error = portError(port);
    if (error !== undefined) errs.push(webhookError(path.child('port').child('number'), port, error));
  }
}

function validatePercentage(parent: Record<string, unknown>, path: FieldPath, errs: FieldError[]): void {
  const value = numberAt(recordAt(parent, 'percentage'), 'value');
  if (value !== undefined && (value < 0 || value > 100 || (value > 0 && value < 0.0001)))
    errs.push(
      webhookError(
        path.child('percentage').child('value'),
        value,
        `percentage ${value} is neither 0.0, nor in range [0.0001, 100.0]`,
      ),
    );
}

function validateFault(
  fault: Record<string, unknown> | undefined,
  path: FieldPath,
  errs: FieldError[],
): void {
  if (fault === undefined) return;
  const abort = recordAt(fault, 'abort');
  const delay = recordAt(fault, 'delay');
  if (abort === undefined && delay === undefined)
    errs.push(webhookError(path, fault, 'HTTP fault injection must have an abort and/or a delay'));
  if (abort !== undefined) {
    validatePercentage(abort, path.child('abort'), errs);
    const status = numberAt(abort, 'httpStatus');
    if (status !== undefined && (status < 200 || status > 600))
      errs.push(
        webhookError(
          path.child('abort').child('httpStatus'),
          status,
          `HTTP status ${status} is not in range 200-599`,
        ),
      );
    if (has(abort, 'http2Error'))
      errs.push(
        webhookError(
          path.child('abort').child('http2Error'),
          null,
          'HTTP/2 abort fault injection not supported yet',
        ),
      );
  }
  if (delay !== undefined) {
    validatePercentage(delay, path.child('delay'), errs);
    checkDuration(delay, 'fixedDelay', path.child('delay'), errs);
    if (has(delay, 'exponentialDelay'))
      errs.push(
        webhookError(
          path.child('delay').child('exponentialDelay'),
          null,
          'exponentialDelay not supported yet',
        ),
      );
  }
}

function validateRetries(
  retries: Record<string, unknown> | undefined,
  path: FieldPath,
  errs: FieldError[],
): void {
  if (retries === undefined) return;
  const attempts = numberAt(retries, 'attempts') ?? 0;
  if (attempts < 0) errs.push(webhookError(path.child('attempts'), attempts, 'attempts cannot be negative'));
  if (
    attempts === 0 &&
    (has(retries, 'perTryTimeout') ||
      (stringAt(retries, 'retryOn') ?? '') !== '' ||
      has(retries, 'retryRemoteLocalities'))
  )
    errs.push(
      webhookError(
        path.child('attempts'),
        attempts,
        'http retry policy configured when attempts are set to 0 (disabled)',
      ),
    );
  checkDuration(retries, 'perTryTimeout', path, errs);
  checkDuration(retries, 'backoff', path, errs);
}
