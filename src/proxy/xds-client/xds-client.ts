/**
 * The proxy's xDS client: one ADS stream (`ads-mux.ts`) carrying CDS and EDS (`dynamic-clusters.ts`)
 * and LDS and RDS (`dynamic-listeners.ts`), initialized in Envoy's order (`ClusterManagerInitHelper`,
 * `InstanceImpl` init manager): static EDS clusters, then CDS and the warming of its clusters, then
 * LDS and RDS; only then does the server bind its listeners and turn LIVE.
 */
import type { Clock } from '../../core/clock.js';
import type { Random } from '../../core/random.js';
import type { BootstrapConfig } from '../config/bootstrap-config.js';
import type { StatsScope } from '../stats/stats-store.js';
import type { ClusterManager } from '../upstream/cluster-manager.js';
import { AdsMux } from './ads-mux.js';
import type { AdsTransport } from './ads-transport.js';
import { DynamicClusters } from './dynamic-clusters.js';
import { DynamicListeners, type ListenerTarget } from './dynamic-listeners.js';
import { GrpcAdsTransport } from './grpc-ads-transport.js';
import { xdsNode } from './xds-node.js';

export interface XdsClientDeps {
  readonly bootstrap: BootstrapConfig;
  readonly clusterManager: ClusterManager;
  readonly listeners: ListenerTarget;
  readonly clock: Clock;
  readonly random: Random;
  readonly stats: StatsScope;
  /** Replaces the gRPC transport (tests). */
  readonly transport?: AdsTransport;
}

export class XdsClient {
  readonly mux: AdsMux;
  readonly clusters: DynamicClusters;
  readonly listeners: DynamicListeners;

  constructor(deps: XdsClientDeps) {
    const dynamic = deps.bootstrap.dynamicResources;
    const ads = dynamic?.ads;
    if (ads === undefined) throw new Error('the xDS client needs dynamic_resources.ads_config');
    const transport =
      deps.transport ??
      new GrpcAdsTransport({
        pickHost: () => {
          const host = deps.clusterManager.get(ads.clusterName)?.chooseHost();
          return host === undefined ? undefined : { address: host.address, port: host.port };
        },
        authority: ads.authority,
        initialMetadata: ads.initialMetadata,
      });
    this.mux = new AdsMux({
      transport,
      clock: deps.clock,
      random: deps.random,
      node: xdsNode(deps.bootstrap.node),
      setNodeOnFirstMessageOnly: ads.setNodeOnFirstMessageOnly,
      stats: deps.stats,
    });
    this.clusters = new DynamicClusters({
      mux: this.mux,
      clusterManager: deps.clusterManager,
      clock: deps.clock,
      stats: deps.stats,
      staticClusters: deps.bootstrap.clusters,
      cdsConfig: dynamic?.cds,
    });
    this.listeners = new DynamicListeners({
      mux: this.mux,
      target: deps.listeners,
      clock: deps.clock,
      stats: deps.stats,
      staticListeners: deps.bootstrap.listeners,
      ldsConfig: dynamic?.lds,
      knownClusterNames: () => this.clusters.knownClusterNames(),
    });
  }

  /** Connects and resolves when the first CDS+EDS and LDS+RDS round is done. */
  async initialize(): Promise<void> {
    this.mux.start();
    await this.clusters.initializeStaticEds();
    await this.clusters.initializeCds();
    await this.listeners.initialize();
  }

  /** Binds the listeners (the server turns LIVE). */
  async startServing(): Promise<void> {
    await this.mux.runExclusive(() => this.listeners.startServing());
  }

  close(): void {
    this.mux.stop();
    this.clusters.close();
    this.listeners.close();
  }
}
