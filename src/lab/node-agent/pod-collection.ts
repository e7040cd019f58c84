/**
 * The Pods bound to one node, as a list-watch collection: `fieldSelector=spec.nodeName=<node>` on
 * both the list and the watch, as the kubelet's pod source watches the API server
 * (`pkg/kubelet/config/apiserver.go` NewSourceApiserver).
 */
import { CoreV1Api, Observable, type ConfigurationOptions, type KubeConfig } from '@kubernetes/client-node';
import type { WatchedCollection } from '../../kube/informers/watched-kinds.js';

function abortable(signal: AbortSignal): ConfigurationOptions {
  return {
    middleware: [
      {
        pre: (context) => {
          context.setSignal(signal);
          return new Observable(Promise.resolve(context));
        },
        post: (response) => new Observable(Promise.resolve(response)),
      },
    ],
    middlewareMergeStrategy: 'append',
  };
}

export function podCollection(kc: KubeConfig, nodeName: string): WatchedCollection {
  const core = kc.makeApiClient(CoreV1Api);
  const fieldSelector = `spec.nodeName=${nodeName}`;
  return {
    kind: 'Pod',
    // client-node's Watch appends its parameters to this path's query.
    path: `/api/v1/pods?fieldSelector=${encodeURIComponent(fieldSelector)}`,
    isOptional: false,
    list: (signal) => core.listPodForAllNamespaces({ fieldSelector }, abortable(signal)),
  };
}
