/**
 * Mutating admission: steps that may change an object on its way into the store, as kube-apiserver's
 * admission chain does (k8s.io/apiserver `pkg/admission/interfaces.go` MutationInterface). Only
 * CREATE is offered today, which is all the lab needs (Istio's sidecar injector is a CREATE-only
 * webhook on pods).
 *
 * Where it runs (see ObjectService.createParsed): after the namespace of the object is known and
 * before name generation and validation, the order of kube-apiserver's create handler
 * (`endpoints/handlers/create.go`: admission `Admit` runs before `rest.BeforeCreate`, which fills
 * `generateName` and validates). So an admission step sees a pod created by a ReplicaSet without
 * its final name, as Istio's webhook does, and what it adds is validated like anything else.
 */
import type { KubeObject, ResourceType } from '../kube-object.js';

export interface AdmissionAttributes {
  readonly resource: ResourceType;
  readonly operation: 'CREATE';
  /** The object as it will be stored; the step changes it in place. */
  readonly object: KubeObject;
  /** The object's Namespace (undefined for cluster-scoped objects). */
  readonly namespace: KubeObject | undefined;
  readonly isDryRun: boolean;
}

export interface MutatingAdmission {
  /** Shown in logs and errors, like an admission plugin's or webhook's name. */
  readonly name: string;
  /** Changes `attributes.object` in place; throws a KubeApiError to refuse the request. */
  admit(attributes: AdmissionAttributes): void;
}
