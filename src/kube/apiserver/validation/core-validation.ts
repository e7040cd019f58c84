/**
 * Checks of the core and discovery kinds we serve, after
 * `k8s.io/kubernetes/pkg/apis/core/validation/validation.go` (`ValidateService`,
 * `ValidateConfigMap`, `ValidateSecret`, `ValidatePod`) and
 * `pkg/apis/discovery/validation/validation.go` (`ValidateEndpointSlice`).
 */
import { isIP } from 'node:net';
import type { FieldError } from '../../../istio/validation/field-error.js';
import {
  FieldPath,
  duplicate,
  forbidden,
  invalid,
  notSupported,
  required,
} from '../../../istio/validation/field-error.js';
import { arrayAt, isRecord, numberAt, recordAt, stringAt } from '../../../core/json-shape.js';
import { validateLabels } from './object-meta-validation.js';
import { isConfigMapKey, isDns1123Label, isValidPortName, isValidPortNum } from './name-rules.js';
import { protocols, validatePodSpec } from './pod-spec-validation.js';

const serviceTypes = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];
const sessionAffinities = ['ClientIP', 'None'];
const addressTypes = ['FQDN', 'IPv4', 'IPv6'];

export function validatePod(object: Record<string, unknown>): FieldError[] {
  return validatePodSpec(object['spec'], FieldPath.root('spec'));
}

export function validateService(object: Record<string, unknown>): FieldError[] {
  const path = FieldPath.root('spec');
  const spec = object['spec'];
  if (!isRecord(spec)) return [required(path)];
  const errs: FieldError[] = [];
  const type = stringAt(spec, 'type') ?? 'ClusterIP';
  if (!serviceTypes.includes(type)) errs.push(notSupported(path.child('type'), type, serviceTypes));
  const isHeadless = stringAt(spec, 'clusterIP') === 'None';
  const ports = arrayAt(spec, 'ports') ?? [];
  if (type === 'ExternalName') {
    const externalName = stringAt(spec, 'externalName') ?? '';
    if (externalName === '') errs.push(required(path.child('externalName')));
  } else if (ports.length === 0 && !isHeadless) {
    errs.push(required(path.child('ports')));
  }
  const names = new Set<string>();
  ports.forEach((port, i) => {
    const p = path.child('ports').index(i);
    if (!isRecord(port)) return;
    const name = stringAt(port, 'name') ?? '';
    if (ports.length > 1 && name === '') errs.push(required(p.child('name')));
    if (name !== '') {
      for (const msg of isDns1123Label(name)) errs.push(invalid(p.child('name'), name, msg));
      if (names.has(name)) errs.push(duplicate(p.child('name'), name));
      names.add(name);
    }
    const number = numberAt(port, 'port') ?? 0;
    for (const msg of isValidPortNum(number)) errs.push(invalid(p.child('port'), number, msg));
    const protocol = stringAt(port, 'protocol');
    if (protocol !== undefined && !protocols.includes(protocol))
      errs.push(notSupported(p.child('protocol'), protocol, protocols));
    const target = port['targetPort'];
    if (typeof target === 'number' && target !== 0)
      for (const msg of isValidPortNum(target)) errs.push(invalid(p.child('targetPort'), target, msg));
    if (typeof target === 'string')
      for (const msg of isValidPortName(target)) errs.push(invalid(p.child('targetPort'), target, msg));
    const nodePort = numberAt(port, 'nodePort') ?? 0;
    if (nodePort !== 0 && type === 'ClusterIP')
      errs.push(forbidden(p.child('nodePort'), "may not be used when `type` is 'ClusterIP'"));
    else if (nodePort !== 0)
      for (const msg of isValidPortNum(nodePort)) errs.push(invalid(p.child('nodePort'), nodePort, msg));
  });
  errs.push(...validateLabels(recordAt(spec, 'selector'), path.child('selector')));
  const affinity = stringAt(spec, 'sessionAffinity');
  if (affinity !== undefined && !sessionAffinities.includes(affinity))
    errs.push(notSupported(path.child('sessionAffinity'), affinity, sessionAffinities));
  return errs;
}

/** ConfigMap and Secret: keys are config keys and may not repeat between `data` and `binaryData`. */
export function validateDataKeys(
  object: Record<string, unknown>,
  secondField: 'binaryData' | 'stringData',
): FieldError[] {
  const errs: FieldError[] = [];
  const data = recordAt(object, 'data') ?? {};
  for (const key of Object.keys(data))
    for (const msg of isConfigMapKey(key)) errs.push(invalid(FieldPath.root('data').key(key), key, msg));
  const second = recordAt(object, secondField) ?? {};
  for (const key of Object.keys(second)) {
    for (const msg of isConfigMapKey(key)) errs.push(invalid(FieldPath.root(secondField).key(key), key, msg));
    if (secondField === 'binaryData' && key in data)
      errs.push(invalid(FieldPath.root('data').key(key), key, 'duplicate of key present in binaryData'));
  }
  return errs;
}

export function validateEndpointSlice(object: Record<string, unknown>): FieldError[] {
  const errs: FieldError[] = [];
  const addressType = stringAt(object, 'addressType') ?? '';
  if (addressType === '') errs.push(required(FieldPath.root('addressType')));
  else if (!addressTypes.includes(addressType))
    errs.push(notSupported(FieldPath.root('addressType'), addressType, addressTypes));
  (arrayAt(object, 'endpoints') ?? []).forEach((endpoint, i) => {
    const p = FieldPath.root('endpoints').index(i);
    const addresses = arrayAt(endpoint, 'addresses') ?? [];
    if (addresses.length === 0) errs.push(required(p.child('addresses'), 'must contain at least 1 address'));
    addresses.forEach((address, j) => {
      if (typeof address !== 'string') return;
      const family = isIP(address);
      if (addressType === 'IPv4' && family !== 4)
        errs.push(invalid(p.child('addresses').index(j), address, 'must be a valid IPv4 address'));
      if (addressType === 'IPv6' && family !== 6)
        errs.push(invalid(p.child('addresses').index(j), address, 'must be a valid IPv6 address'));
    });
  });
  const names = new Set<string>();
  (arrayAt(object, 'ports') ?? []).forEach((port, i) => {
    const p = FieldPath.root('ports').index(i);
    const name = stringAt(port, 'name') ?? '';
    if (name !== '') for (const msg of isDns1123Label(name)) errs.push(invalid(p.child('name'), name, msg));
    if (names.has(name)) errs.push(duplicate(p.child('name'), name));
    names.add(name);
    const number = numberAt(port, 'port');
    if (number !== undefined)
      for (const msg of isValidPortNum(number)) errs.push(invalid(p.child('port'), number, msg));
    const protocol = stringAt(port, 'protocol');
    if (protocol !== undefined && !protocols.includes(protocol))
      errs.push(notSupported(p.child('protocol'), protocol, protocols));
  });
  return errs;
}

/** core/v1 Event: the involved object must live in the Event's namespace (`ValidateEventCreate`). */
export function validateEvent(object: Record<string, unknown>): FieldError[] {
  const involved = recordAt(object, 'involvedObject');
  const namespace = stringAt(object['metadata'], 'namespace') ?? '';
  const involvedNamespace = stringAt(involved, 'namespace') ?? '';
  if (involvedNamespace !== '' && namespace !== '' && involvedNamespace !== namespace)
    return [
      invalid(
        FieldPath.root('involvedObject').child('namespace'),
        involvedNamespace,
        'does not match event.namespace',
      ),
    ];
  return [];
}
