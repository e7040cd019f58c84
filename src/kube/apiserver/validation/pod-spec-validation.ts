/**
 * Pod spec checks of `k8s.io/kubernetes/pkg/apis/core/validation/validation.go` (`ValidatePodSpec`,
 * `validateContainers`, `validateContainerPorts`, `validateEnv`, `validateTolerations`,
 * `validateTopologySpreadConstraints`) - the subset a newcomer's manifest trips over. Fields the
 * server defaults (restartPolicy, dnsPolicy, protocol, imagePullPolicy) are checked only when set,
 * because validation here may run before defaulting.
 */
import type { FieldError, FieldPath } from '../../../istio/validation/field-error.js';
import {
  duplicate,
  forbidden,
  invalid,
  notSupported,
  required,
} from '../../../istio/validation/field-error.js';
import { arrayAt, has, isRecord, numberAt, recordAt, stringAt } from '../../../core/json-shape.js';
import { validateLabels } from './object-meta-validation.js';
import {
  isDns1123Label,
  isQualifiedName,
  isValidPortName,
  isValidPortNum,
  isLabelValue,
} from './name-rules.js';

export const restartPolicies = ['Always', 'OnFailure', 'Never'] as const;
const dnsPolicies = ['ClusterFirst', 'ClusterFirstWithHostNet', 'Default', 'None'];
const pullPolicies = ['Always', 'IfNotPresent', 'Never'];
export const protocols = ['SCTP', 'TCP', 'UDP'];
const tolerationOperators = ['Equal', 'Exists'];
const taintEffects = ['NoExecute', 'NoSchedule', 'PreferNoSchedule'];
const unsatisfiableActions = ['DoNotSchedule', 'ScheduleAnyway'];

/** `ValidatePodSpec`; `allowedRestartPolicies` is narrowed to Always for workload templates. */
export function validatePodSpec(
  spec: unknown,
  path: FieldPath,
  allowedRestartPolicies: readonly string[] = restartPolicies,
): FieldError[] {
  if (!isRecord(spec)) return [required(path)];
  const errs: FieldError[] = [];
  const names = new Set<string>();
  const initContainers = arrayAt(spec, 'initContainers') ?? [];
  initContainers.forEach((c, i) =>
    errs.push(...validateContainer(c, path.child('initContainers').index(i), names)),
  );
  const containers = arrayAt(spec, 'containers') ?? [];
  if (containers.length === 0) errs.push(required(path.child('containers')));
  containers.forEach((c, i) => errs.push(...validateContainer(c, path.child('containers').index(i), names)));

  const restartPolicy = stringAt(spec, 'restartPolicy');
  if (restartPolicy !== undefined && !allowedRestartPolicies.includes(restartPolicy))
    errs.push(notSupported(path.child('restartPolicy'), restartPolicy, allowedRestartPolicies));
  const dnsPolicy = stringAt(spec, 'dnsPolicy');
  if (dnsPolicy !== undefined && !dnsPolicies.includes(dnsPolicy))
    errs.push(notSupported(path.child('dnsPolicy'), dnsPolicy, dnsPolicies));
  errs.push(...validateLabels(recordAt(spec, 'nodeSelector'), path.child('nodeSelector')));
  const grace = numberAt(spec, 'terminationGracePeriodSeconds');
  if (grace !== undefined && grace < 0)
    errs.push(
      invalid(path.child('terminationGracePeriodSeconds'), grace, 'must be greater than or equal to 0'),
    );
  (arrayAt(spec, 'tolerations') ?? []).forEach((t, i) =>
    errs.push(...validateToleration(t, path.child('tolerations').index(i))),
  );
  (arrayAt(spec, 'topologySpreadConstraints') ?? []).forEach((c, i) =>
    errs.push(...validateSpreadConstraint(c, path.child('topologySpreadConstraints').index(i))),
  );
  return errs;
}

function validateContainer(container: unknown, path: FieldPath, names: Set<string>): FieldError[] {
  if (!isRecord(container)) return [required(path)];
  const errs: FieldError[] = [];
  const name = stringAt(container, 'name') ?? '';
  if (name === '') errs.push(required(path.child('name')));
  else {
    for (const msg of isDns1123Label(name)) errs.push(invalid(path.child('name'), name, msg));
    if (names.has(name)) errs.push(duplicate(path.child('name'), name));
    names.add(name);
  }
  // Kubernetes: an empty image is "Required value" (validateContainerCommon); surrounding
  // whitespace is refused for Pods (validateContainersOnlyForPod).
  const image = stringAt(container, 'image') ?? '';
  if (image === '') errs.push(required(path.child('image')));
  else if (image.trim() !== image)
    errs.push(invalid(path.child('image'), image, 'must not have leading or trailing whitespace'));
  const pull = stringAt(container, 'imagePullPolicy');
  if (pull !== undefined && !pullPolicies.includes(pull))
    errs.push(notSupported(path.child('imagePullPolicy'), pull, pullPolicies));
  errs.push(...validateContainerPorts(arrayAt(container, 'ports') ?? [], path.child('ports')));
  errs.push(...validateEnv(arrayAt(container, 'env') ?? [], path.child('env')));
  return errs;
}

function validateContainerPorts(ports: readonly unknown[], path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  ports.forEach((port, i) => {
    const p = path.index(i);
    if (!isRecord(port)) return;
    const name = stringAt(port, 'name');
    if (name !== undefined && name !== '') {
      for (const msg of isValidPortName(name)) errs.push(invalid(p.child('name'), name, msg));
      if (names.has(name)) errs.push(duplicate(p.child('name'), name));
      names.add(name);
    }
    const containerPort = numberAt(port, 'containerPort') ?? 0;
    if (containerPort === 0) errs.push(required(p.child('containerPort')));
    else
      for (const msg of isValidPortNum(containerPort))
        errs.push(invalid(p.child('containerPort'), containerPort, msg));
    const hostPort = numberAt(port, 'hostPort') ?? 0;
    if (hostPort !== 0)
      for (const msg of isValidPortNum(hostPort)) errs.push(invalid(p.child('hostPort'), hostPort, msg));
    const protocol = stringAt(port, 'protocol');
    if (protocol !== undefined && !protocols.includes(protocol))
      errs.push(notSupported(p.child('protocol'), protocol, protocols));
  });
  return errs;
}

/**
 * `validateEnv`. kube-apiserver 1.32 enables RelaxedEnvironmentVariableValidation (beta, on by
 * default), so any printable ASCII except '=' is a valid name.
 */
function validateEnv(env: readonly unknown[], path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  env.forEach((e, i) => {
    const p = path.index(i);
    const name = stringAt(e, 'name') ?? '';
    if (name === '') errs.push(required(p.child('name')));
    else if (!/^[\x20-\x3c\x3e-\x7e]+$/.test(name))
      errs.push(
        invalid(
          p.child('name'),
          name,
          "a valid environment variable name must consist only of printable ASCII characters other than '='",
        ),
      );
    if (has(e, 'value') && has(e, 'valueFrom') && stringAt(e, 'value') !== '')
      errs.push(invalid(p.child('valueFrom'), '', 'may not be specified when `value` is not empty'));
  });
  return errs;
}

function validateToleration(t: unknown, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  const key = stringAt(t, 'key') ?? '';
  if (key !== '') for (const msg of isQualifiedName(key)) errs.push(invalid(path.child('key'), key, msg));
  const operator = stringAt(t, 'operator') ?? 'Equal';
  if (operator === 'Exists') {
    const value = stringAt(t, 'value') ?? '';
    if (value !== '')
      errs.push(invalid(path.child('operator'), value, "value must be empty when `operator` is 'Exists'"));
  } else if (operator === 'Equal') {
    if (key === '')
      errs.push(
        invalid(
          path.child('operator'),
          operator,
          'operator must be Exists when `key` is empty, which means "match all values and all keys"',
        ),
      );
    const value = stringAt(t, 'value') ?? '';
    for (const msg of isLabelValue(value)) errs.push(invalid(path.child('value'), value, msg));
  } else {
    errs.push(notSupported(path.child('operator'), operator, tolerationOperators));
  }
  const effect = stringAt(t, 'effect');
  if (effect !== undefined && effect !== '' && !taintEffects.includes(effect))
    errs.push(notSupported(path.child('effect'), effect, taintEffects));
  return errs;
}

function validateSpreadConstraint(c: unknown, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  const maxSkew = numberAt(c, 'maxSkew') ?? 0;
  if (maxSkew <= 0) errs.push(invalid(path.child('maxSkew'), maxSkew, 'must be greater than zero'));
  const key = stringAt(c, 'topologyKey') ?? '';
  if (key === '') errs.push(required(path.child('topologyKey'), 'can not be empty'));
  else for (const msg of isQualifiedName(key)) errs.push(invalid(path.child('topologyKey'), key, msg));
  const action = stringAt(c, 'whenUnsatisfiable') ?? '';
  if (!unsatisfiableActions.includes(action))
    errs.push(notSupported(path.child('whenUnsatisfiable'), action, unsatisfiableActions));
  if (has(c, 'minDomains') && action !== 'DoNotSchedule')
    errs.push(
      forbidden(path.child('minDomains'), 'can only use minDomains if whenUnsatisfiable=DoNotSchedule'),
    );
  return errs;
}
