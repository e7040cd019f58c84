/**
 * DestinationRule semantics of Istio's validating webhook (`istio/istio`
 * `pkg/config/validation/validation.go`: `ValidateDestinationRule`, `validateTrafficPolicy`,
 * `validateOutlierDetection`, `validateConnectionPool`, `validateLoadBalancer`,
 * `agent.ValidateLocalityLbSetting`) plus the CRD's duration rules, with Istio's message texts.
 */
import type { FieldError } from './field-error.js';
import { FieldPath } from './field-error.js';
import { checkDuration, checkPercent, webhookError } from './istio-common.js';
import { isDns1123Label, wildcardDomainError } from './istio-host.js';
import { arrayAt, boolAt, has, isRecord, numberAt, recordAt, stringAt } from '../../core/json-shape.js';

export function validateDestinationRule(spec: unknown): FieldError[] {
  const path = FieldPath.root('spec');
  const errs: FieldError[] = [];
  if (!isRecord(spec)) return errs;
  const host = stringAt(spec, 'host');
  const hostError = host === undefined ? undefined : wildcardDomainError(host);
  if (hostError !== undefined) errs.push(webhookError(path.child('host'), host, hostError));
  if (has(spec, 'trafficPolicy'))
    validateTrafficPolicy(spec['trafficPolicy'], path.child('trafficPolicy'), errs);
  const names = new Set<string>();
  (arrayAt(spec, 'subsets') ?? []).forEach((subset, i) => {
    const p = path.child('subsets').index(i);
    if (!isRecord(subset)) {
      errs.push(webhookError(p, null, 'subset may not be null'));
      return;
    }
    const name = stringAt(subset, 'name') ?? '';
    if (names.has(name)) errs.push(webhookError(p.child('name'), name, `duplicate subset names: ${name}`));
    names.add(name);
    if (name === '') errs.push(webhookError(p.child('name'), name, 'subset name cannot be empty'));
    else if (!isDns1123Label(name))
      errs.push(webhookError(p.child('name'), name, `subset name is invalid: ${name}`));
    if (has(subset, 'trafficPolicy'))
      validateTrafficPolicy(subset['trafficPolicy'], p.child('trafficPolicy'), errs);
  });
  return errs;
}

function validateTrafficPolicy(policy: unknown, path: FieldPath, errs: FieldError[]): void {
  if (!isRecord(policy)) return;
  const fields = [
    'outlierDetection',
    'connectionPool',
    'loadBalancer',
    'tls',
    'portLevelSettings',
    'tunnel',
    'proxyProtocol',
  ];
  if (!fields.some((f) => has(policy, f))) {
    errs.push(webhookError(path, policy, 'traffic policy must have at least one field'));
    return;
  }
  if (has(policy, 'tunnel') && has(policy, 'proxyProtocol')) {
    errs.push(webhookError(path, policy, 'tunnel and proxyProtocol must not be set together'));
    return;
  }
  validatePolicyParts(policy, path, errs);
  (arrayAt(policy, 'portLevelSettings') ?? []).forEach((setting, i) => {
    const p = path.child('portLevelSettings').index(i);
    if (!isRecord(setting)) return;
    if (!has(setting, 'port'))
      errs.push(webhookError(p.child('port'), null, 'portTrafficPolicy must have valid port'));
    if (!['outlierDetection', 'connectionPool', 'loadBalancer', 'tls'].some((f) => has(setting, f)))
      errs.push(webhookError(p, setting, 'port traffic policy must have at least one field'));
    else validatePolicyParts(setting, p, errs);
  });
}

function validatePolicyParts(policy: Record<string, unknown>, path: FieldPath, errs: FieldError[]): void {
  const outlier = recordAt(policy, 'outlierDetection');
  if (outlier !== undefined) validateOutlierDetection(outlier, path.child('outlierDetection'), errs);
  const pool = recordAt(policy, 'connectionPool');
  if (pool !== undefined) validateConnectionPool(pool, path.child('connectionPool'), errs);
  const lb = recordAt(policy, 'loadBalancer');
  if (lb !== undefined) validateLoadBalancer(lb, path.child('loadBalancer'), errs);
}

function validateOutlierDetection(
  outlier: Record<string, unknown>,
  path: FieldPath,
  errs: FieldError[],
): void {
  checkDuration(outlier, 'baseEjectionTime', path, errs);
  checkDuration(outlier, 'interval', path, errs);
  const localOrigin = numberAt(outlier, 'consecutiveLocalOriginFailures') ?? 0;
  if (localOrigin > 0 && boolAt(outlier, 'splitExternalLocalOriginErrors') !== true)
    errs.push(
      webhookError(
        path.child('consecutiveLocalOriginFailures'),
        localOrigin,
        'outlier detection consecutive local origin failures is specified, but split external local origin errors is set to false',
      ),
    );
  checkPercent(outlier, 'maxEjectionPercent', path, errs);
  checkPercent(outlier, 'minHealthPercent', path, errs);
}

const nonNegativeHttp: ReadonlyArray<[string, string]> = [
  ['http1MaxPendingRequests', 'http1 max pending requests must be non-negative'],
  ['http2MaxRequests', 'http2 max requests must be non-negative'],
  ['maxRequestsPerConnection', 'max requests per connection must be non-negative'],
  ['maxRetries', 'max retries must be non-negative'],
  ['maxConcurrentStreams', 'max concurrent streams must be non-negative'],
];

function validateConnectionPool(pool: Record<string, unknown>, path: FieldPath, errs: FieldError[]): void {
  if (!has(pool, 'http') && !has(pool, 'tcp')) {
    errs.push(webhookError(path, pool, 'connection pool must have at least one field'));
    return;
  }
  const http = recordAt(pool, 'http');
  if (http !== undefined) {
    const p = path.child('http');
    for (const [key, message] of nonNegativeHttp) {
      const v = numberAt(http, key);
      if (v !== undefined && v < 0) errs.push(webhookError(p.child(key), v, message));
    }
    checkDuration(http, 'idleTimeout', p, errs);
    if (stringAt(http, 'h2UpgradePolicy') === 'UPGRADE' && boolAt(http, 'useClientProtocol') === true)
      errs.push(
        webhookError(
          p.child('useClientProtocol'),
          true,
          'use client protocol must not be true when H2UpgradePolicy is UPGRADE',
        ),
      );
  }
  const tcp = recordAt(pool, 'tcp');
  if (tcp !== undefined) {
    const p = path.child('tcp');
    const max = numberAt(tcp, 'maxConnections');
    if (max !== undefined && max < 0)
      errs.push(webhookError(p.child('maxConnections'), max, 'max connections must be non-negative'));
    checkDuration(tcp, 'connectTimeout', p, errs);
    checkDuration(tcp, 'maxConnectionDuration', p, errs);
    // A tcp idleTimeout of 0s disables the timeout (Istio skips it), but the CRD rule still applies.
    checkDuration(tcp, 'idleTimeout', p, errs);
    const keepalive = recordAt(tcp, 'tcpKeepalive');
    checkDuration(keepalive, 'time', p.child('tcpKeepalive'), errs);
    checkDuration(keepalive, 'interval', p.child('tcpKeepalive'), errs);
  }
}

function validateLoadBalancer(lb: Record<string, unknown>, path: FieldPath, errs: FieldError[]): void {
  const hash = recordAt(lb, 'consistentHash');
  if (hash !== undefined) {
    const cookie = recordAt(hash, 'httpCookie');
    if (cookie !== undefined && (stringAt(cookie, 'name') ?? '') === '')
      errs.push(
        webhookError(
          path.child('consistentHash').child('httpCookie').child('name'),
          '',
          'name required for HttpCookie',
        ),
      );
    const maglev = recordAt(hash, 'maglev');
    if (maglev !== undefined) {
      const size = numberAt(maglev, 'tableSize') ?? 0;
      const p = path.child('consistentHash').child('maglev').child('tableSize');
      if (size === 0) errs.push(webhookError(p, size, 'tableSize must be set for maglev'));
      if (size >= 5000011) errs.push(webhookError(p, size, 'tableSize must be less than 5000011 for maglev'));
      if (!isPrime(size)) errs.push(webhookError(p, size, 'tableSize must be a prime number for maglev'));
    }
  }
  const locality = recordAt(lb, 'localityLbSetting');
  if (locality !== undefined) validateLocalityLbSetting(locality, path.child('localityLbSetting'), errs);
  const warmup = recordAt(lb, 'warmup');
  if (warmup !== undefined) {
    if (!has(warmup, 'duration'))
      errs.push(webhookError(path.child('warmup').child('duration'), null, 'duration is required'));
    checkDuration(warmup, 'duration', path.child('warmup'), errs);
  }
}

function validateLocalityLbSetting(
  setting: Record<string, unknown>,
  path: FieldPath,
  errs: FieldError[],
): void {
  const distribute = arrayAt(setting, 'distribute') ?? [];
  const failover = arrayAt(setting, 'failover') ?? [];
  if (distribute.length > 0 && failover.length > 0) {
    errs.push(webhookError(path, setting, "can not simultaneously specify 'distribute' and 'failover'"));
    return;
  }
  distribute.forEach((d, i) => {
    const to = recordAt(d, 'to') ?? {};
    let total = 0;
    for (const weight of Object.values(to)) {
      if (weight === 0) {
        errs.push(
          webhookError(
            path.child('distribute').index(i).child('to'),
            to,
            'locality weight must be in range [1, 100]',
          ),
        );
        return;
      }
      total += typeof weight === 'number' ? weight : 0;
    }
    if (total !== 100)
      errs.push(
        webhookError(
          path.child('distribute').index(i).child('to'),
          to,
          `total locality weight ${total} != 100`,
        ),
      );
  });
  failover.forEach((f, i) => {
    const from = stringAt(f, 'from') ?? '';
    if (from !== '' && from === stringAt(f, 'to'))
      errs.push(
        webhookError(
          path.child('failover').index(i),
          f,
          `locality lb failover settings must specify different regions`,
        ),
      );
  });
}

/** Envoy's primality test for maglev table sizes (as Istio copies it). */
function isPrime(x: number): boolean {
  if (x !== 0 && x < 4) return true;
  if (x % 2 === 0) return false;
  for (let f = 3; f * f <= x; f += 2) if (x % f === 0) return false;
  return true;
}
