/**
 * What `spillway lab fault|heal|logs` act on, as the user writes it: `pod/<name>` (or a bare pod
 * name, as `kubectl logs` takes one), `deployment/<name>`, `zone/<zone>`, `cluster/<cluster>`.
 * kubectl's short resource names are accepted too (`po`, `pods`, `deploy`, `deployments`), as
 * kubectl's RESTMapper resolves them (k8s.io/kubectl `pkg/cmd/util` resource/name arguments).
 */
import { ErrorCode, SpillwayError } from '../../core/errors.js';

export type FaultTargetKind = 'pod' | 'deployment' | 'zone' | 'cluster';

export interface FaultTarget {
  readonly kind: FaultTargetKind;
  readonly name: string;
}

const aliases: Readonly<Record<string, FaultTargetKind>> = {
  pod: 'pod',
  pods: 'pod',
  po: 'pod',
  deployment: 'deployment',
  deployments: 'deployment',
  deploy: 'deployment',
  zone: 'zone',
  cluster: 'cluster',
};

/** A Kubernetes object name or label value (DNS subdomain characters), as the lab names things. */
const namePattern = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

export function formatTarget(target: FaultTarget): string {
  return `${target.kind}/${target.name}`;
}

/** Parses a target argument; throws SPILLWAY_ERR_LAB_TARGET_INVALID naming what is accepted. */
export function parseFaultTarget(text: string): FaultTarget {
  const slash = text.indexOf('/');
  const kindText = slash === -1 ? 'pod' : text.slice(0, slash).toLowerCase();
  const name = slash === -1 ? text : text.slice(slash + 1);
  const kind = aliases[kindText];
  if (kind === undefined) {
    throw new SpillwayError(
      ErrorCode.labTargetInvalid,
      `unknown target '${text}': use pod/<name> (or a pod name), deployment/<name>, zone/<zone> or cluster/<cluster>`,
    );
  }
  if (!namePattern.test(name)) {
    throw new SpillwayError(
      ErrorCode.labTargetInvalid,
      `target '${text}': '${name}' is not a valid ${kind} name (lower case letters, digits, '-' and '.')`,
    );
  }
  return { kind, name };
}
