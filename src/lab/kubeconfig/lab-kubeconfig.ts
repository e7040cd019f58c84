/**
 * The lab's one kubeconfig: each API server writes its own kubeconfig (server URL, CA, token); the
 * supervisor merges them into `<stateDir>/kubeconfig` with one context per cluster, named by the
 * cluster id, each with its own cluster entry and user (`<cluster>-admin`, that server's token), as
 * `kubectl config view --flatten` of several files would give (client-go `clientcmd` merge, with
 * entries renamed so that names never collide). The first cluster is the current context.
 */
import { parse, stringify } from 'yaml';
import { SpillwayError, ErrorCode } from '../../core/errors.js';

export interface ClusterKubeconfig {
  /** The cluster id: becomes the context and cluster name. */
  readonly cluster: string;
  /** The kubeconfig text the cluster's API server wrote. */
  readonly text: string;
  /** Where it came from, for error messages. */
  readonly source: string;
}

type Json = Record<string, unknown>;

function record(v: unknown): Json | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : undefined;
}

function namedEntry(doc: Json, list: string, name: string): Json | undefined {
  const entries = Array.isArray(doc[list]) ? (doc[list] as unknown[]) : [];
  for (const e of entries) {
    const entry = record(e);
    if (entry?.['name'] === name) return record(entry[list.slice(0, -1)]);
  }
  return undefined;
}

function invalid(source: string, problem: string): SpillwayError {
  return new SpillwayError(ErrorCode.labKubeconfigInvalid, `${source}: ${problem}`);
}

/** The (cluster, user) an API server's kubeconfig gives for its current context. */
function currentEntries(input: ClusterKubeconfig): { cluster: Json; user: Json; namespace: string } {
  let doc: Json | undefined;
  try {
    doc = record(parse(input.text) as unknown);
  } catch (err) {
    throw invalid(input.source, `not YAML: ${(err as Error).message}`);
  }
  if (doc === undefined) throw invalid(input.source, 'not a kubeconfig');
  const contextName = doc['current-context'];
  if (typeof contextName !== 'string' || contextName === '')
    throw invalid(input.source, 'no current-context');
  const context = namedEntry(doc, 'contexts', contextName);
  if (context === undefined) throw invalid(input.source, `context '${contextName}' is not defined`);
  const clusterName = context['cluster'];
  const userName = context['user'];
  const cluster = typeof clusterName === 'string' ? namedEntry(doc, 'clusters', clusterName) : undefined;
  const user = typeof userName === 'string' ? namedEntry(doc, 'users', userName) : undefined;
  if (cluster === undefined || typeof cluster['server'] !== 'string') {
    throw invalid(input.source, `context '${contextName}' names no cluster with a server`);
  }
  if (user === undefined) throw invalid(input.source, `context '${contextName}' names no user`);
  const namespace = typeof context['namespace'] === 'string' ? context['namespace'] : 'default';
  return { cluster, user, namespace };
}

/** One kubeconfig with a context per cluster (context = cluster = cluster id, user = `<id>-admin`). */
export function mergeKubeconfigs(inputs: readonly ClusterKubeconfig[]): string {
  const seen = new Set<string>();
  const clusters: Json[] = [];
  const users: Json[] = [];
  const contexts: Json[] = [];
  for (const input of inputs) {
    if (seen.has(input.cluster)) throw invalid(input.source, `cluster '${input.cluster}' given twice`);
    seen.add(input.cluster);
    const entries = currentEntries(input);
    const user = `${input.cluster}-admin`;
    clusters.push({ name: input.cluster, cluster: entries.cluster });
    users.push({ name: user, user: entries.user });
    contexts.push({
      name: input.cluster,
      context: { cluster: input.cluster, user, namespace: entries.namespace },
    });
  }
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters,
    users,
    contexts,
    'current-context': inputs[0]?.cluster ?? '',
    preferences: {},
  });
}

/** The server URL of a context in a kubeconfig, or undefined. */
export function serverOfContext(text: string, context: string): string | undefined {
  const doc = record(parse(text) as unknown);
  if (doc === undefined) return undefined;
  const ctx = namedEntry(doc, 'contexts', context);
  const clusterName = ctx?.['cluster'];
  const cluster = typeof clusterName === 'string' ? namedEntry(doc, 'clusters', clusterName) : undefined;
  return typeof cluster?.['server'] === 'string' ? cluster['server'] : undefined;
}
