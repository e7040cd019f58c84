/**
 * A kubeconfig file plus context, as `--kubeconfig`/`--context` and `--remote` name them, loaded with
 * client-node (which handles every auth method: tokens, client certificates, exec plugins, OIDC).
 */
import { KubeConfig } from '@kubernetes/client-node';
import { ErrorCode, SpillwayError } from '../../core/errors.js';

/**
 * `path` undefined means client-node's default loading (`KUBECONFIG`, `~/.kube/config`, in-cluster);
 * `context` undefined means the file's current context. Throws `SPILLWAY_ERR_KUBE_KUBECONFIG_INVALID`.
 */
export function loadKubeConfig(path: string | undefined, context: string | undefined): KubeConfig {
  const kc = new KubeConfig();
  const source = path ?? 'the default kubeconfig';
  try {
    if (path === undefined) kc.loadFromDefault();
    else kc.loadFromFile(path);
  } catch (err) {
    throw new SpillwayError(
      ErrorCode.kubeconfigInvalid,
      `${source}: cannot load kubeconfig: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  }
  if (context !== undefined) {
    if (kc.getContextObject(context) === null) {
      const known = kc.getContexts().map((c) => c.name);
      throw new SpillwayError(
        ErrorCode.kubeconfigInvalid,
        `${source}: no context '${context}' (known: ${known.length > 0 ? known.join(', ') : 'none'})`,
      );
    }
    kc.setCurrentContext(context);
  }
  if (kc.getCurrentCluster() === null) {
    throw new SpillwayError(
      ErrorCode.kubeconfigInvalid,
      `${source}: context '${kc.getCurrentContext()}' names no cluster`,
    );
  }
  return kc;
}
