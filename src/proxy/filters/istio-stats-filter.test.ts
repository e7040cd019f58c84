import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeClock } from '../../core/clock.js';
import { makeLocality } from '../../core/locality.js';
import { StreamInfo } from '../http/stream-info.js';
import { ResponseFlag } from '../http/response-flags.js';
import { renderPrometheus } from '../stats/prometheus-format.js';
import { StatsStore } from '../stats/stats-store.js';
import { Host } from '../upstream/host.js';
import {
  istioLabelNames,
  istioLabels,
  IstioStatsFilter,
  type IstioRequestFacts,
} from './istio-stats-filter.js';
import { workloadPeerOf, workloadPeerOfEndpoint, type WorkloadPeer } from './workload-peer.js';

const local: WorkloadPeer = workloadPeerOf({
  NAME: 'mocka-7d9f-abcde',
  NAMESPACE: 'default',
  WORKLOAD_NAME: 'mocka',
  CLUSTER_ID: 'cluster-1',
  LABELS: {
    app: 'mocka',
    version: 'v1',
    'service.istio.io/canonical-name': 'mocka',
    'service.istio.io/canonical-revision': 'v1',
  },
});
const server: WorkloadPeer = workloadPeerOf({
  NAMESPACE: 'default',
  WORKLOAD_NAME: 'mockb',
  CLUSTER_ID: 'cluster-2',
  LABELS: { app: 'mockb', 'service.istio.io/canonical-name': 'mockb' },
});

const facts = (over: Partial<IstioRequestFacts> = {}): IstioRequestFacts => ({
  peer: server,
  hostHeader: 'mockb:8080',
  routeName: 'default',
  clusterName: 'outbound|8080||mockb.default.svc.cluster.local',
  clusterMetadata: {
    istio: { services: [{ host: 'mockb.default.svc.cluster.local', name: 'mockb', namespace: 'default' }] },
  },
  isGrpc: false,
  responseCode: 200,
  grpcStatus: undefined,
  responseFlags: '-',
  ...over,
});

test('source reporter: local side from node metadata, peer side from the exchange, unknown security policy', () => {
  const labels = istioLabels('source', local, facts());
  assert.deepEqual(Object.keys(labels).sort(), [...istioLabelNames].sort());
  assert.equal(labels.reporter, 'source');
  assert.equal(labels.source_workload, 'mocka');
  assert.equal(labels.source_cluster, 'cluster-1');
  assert.equal(labels.source_canonical_revision, 'v1');
  assert.equal(labels.destination_workload, 'mockb');
  assert.equal(labels.destination_cluster, 'cluster-2');
  assert.equal(labels.destination_version, 'unknown');
  assert.equal(labels.destination_canonical_revision, 'latest', 'a missing revision is latest');
  assert.equal(labels.destination_principal, 'unknown');
  assert.equal(labels.connection_security_policy, 'unknown');
  // The cluster's istio.services metadata wins over the Host header.
  assert.equal(labels.destination_service, 'mockb.default.svc.cluster.local');
  assert.equal(labels.destination_service_name, 'mockb');
  assert.equal(labels.request_protocol, 'http');
  assert.equal(labels.response_code, '200');
  assert.equal(labels.grpc_response_status, '');
  assert.equal(labels.response_flags, '-');
});

test('source reporter without a peer or service metadata: unknown everywhere the peer is needed', () => {
  const labels = istioLabels(
    'source',
    local,
    facts({ peer: undefined, clusterMetadata: undefined, hostHeader: undefined, responseCode: undefined }),
  );
  assert.equal(labels.destination_workload, 'unknown');
  assert.equal(labels.destination_workload_namespace, 'unknown');
  assert.equal(labels.destination_service, 'unknown');
  assert.equal(labels.destination_service_name, 'unknown');
  assert.equal(labels.destination_cluster, 'unknown');
  assert.equal(labels.destination_canonical_revision, 'latest');
  assert.equal(labels.response_code, '0', 'no response sent is code 0');
});

test('destination_service falls back to the Host header; a service without a name uses the host up to the first dot', () => {
  assert.equal(
    istioLabels('source', local, facts({ clusterMetadata: {} })).destination_service,
    'mockb:8080',
  );
  const unnamed = istioLabels(
    'source',
    local,
    facts({ clusterMetadata: { istio: { services: [{ host: 'mockb.default.svc.cluster.local' }] } } }),
  );
  assert.equal(unnamed.destination_service_name, 'mockb');
  assert.equal(
    istioLabels('source', local, facts({ clusterName: 'PassthroughCluster', clusterMetadata: undefined }))
      .destination_service_name,
    'PassthroughCluster',
  );
  assert.equal(
    istioLabels('source', local, facts({ routeName: 'block_all' })).destination_service_name,
    'BlackHoleCluster',
  );
  assert.equal(
    istioLabels('source', local, facts({ routeName: 'block_all', clusterName: undefined }))
      .destination_service_name,
    'BlackHoleCluster',
  );
});

test('destination reporter: peer is the source, local side is the destination, security policy none without mTLS', () => {
  const labels = istioLabels(
    'destination',
    server,
    facts({ peer: local, hostHeader: undefined, clusterMetadata: undefined }),
  );
  assert.equal(labels.reporter, 'destination');
  assert.equal(labels.source_workload, 'mocka');
  assert.equal(labels.source_cluster, 'cluster-1');
  assert.equal(labels.destination_workload, 'mockb');
  assert.equal(labels.destination_cluster, 'cluster-2');
  // No Host fallback (inbound) and no service metadata: the local canonical name.
  assert.equal(labels.destination_service, 'mockb');
  assert.equal(labels.destination_service_namespace, 'default');
  assert.equal(labels.connection_security_policy, 'none');
  const anonymous = istioLabels('destination', server, facts({ peer: undefined }));
  assert.equal(anonymous.source_workload, 'unknown');
  assert.equal(anonymous.source_canonical_revision, 'latest');
});

test('gRPC: protocol grpc and the status from trailers, else inferred from the HTTP status', () => {
  assert.equal(
    istioLabels('source', local, facts({ isGrpc: true, grpcStatus: 5 })).grpc_response_status,
    '5',
  );
  const inferred = istioLabels('source', local, facts({ isGrpc: true, responseCode: 503 }));
  assert.equal(inferred.request_protocol, 'grpc');
  assert.equal(inferred.grpc_response_status, '14');
});

test('endpoint metadata: five parts give a peer, fewer give none', () => {
  const peer = workloadPeerOfEndpoint('mockb;default;mockb;;cluster-2');
  assert.equal(peer?.workloadName, 'mockb');
  assert.equal(peer?.clusterId, 'cluster-2');
  assert.equal(workloadPeerOfEndpoint('mockb;default'), undefined);
});

test('recorded requests: one series per label set, flags and codes distinguish series, durations in whole ms', () => {
  const store = new StatsStore();
  const filter = new IstioStatsFilter({ disableHostHeaderFallback: false }, 'source', local, store, '1.28.0');
  const clock = new FakeClock(1000);
  const host = new Host({
    clusterName: 'c',
    address: '10.0.0.9',
    port: 8080,
    locality: makeLocality('r', 'z'),
    metadata: { istio: { workload: 'mockb;default;mockb;;cluster-2' } },
  });
  const request = (code: number, flag?: 'UF'): void => {
    const info = new StreamInfo(clock.wallMs(), clock.monotonicMs(), 'HTTP/1.1');
    info.requestHeaders = new Map([[':authority', 'mockb:8080']]);
    info.responseCode = code;
    if (flag !== undefined) info.responseFlags.add(ResponseFlag.UpstreamConnectionFailure);
    info.endMonotonicMs = clock.monotonicMs() + 12.7;
    info.bytesSent = 42;
    filter.record(info, filter.peerOf(undefined, host), undefined);
  };
  request(200);
  request(200);
  request(503, 'UF');
  const text = renderPrometheus(store, { customNamespaces: ['istiocustom'] });
  assert.match(text, /^# TYPE istio_requests_total counter$/m);
  assert.match(
    text,
    /^istio_requests_total\{reporter="source",[^}]*destination_cluster="cluster-2"[^}]*response_flags="-"[^}]*response_code="200"[^}]*\} 2$/m,
  );
  assert.match(text, /^istio_requests_total\{[^}]*response_flags="UF"[^}]*response_code="503"[^}]*\} 1$/m);
  assert.match(
    text,
    /^istio_request_duration_milliseconds_bucket\{[^}]*response_code="200"[^}]*le="10"\} 0$/m,
  );
  assert.match(
    text,
    /^istio_request_duration_milliseconds_bucket\{[^}]*response_code="200"[^}]*le="25"\} 2$/m,
  );
  assert.match(text, /^istio_request_duration_milliseconds_sum\{[^}]*response_code="200"[^}]*\} 24$/m);
  assert.match(text, /^istio_response_bytes_sum\{[^}]*response_code="200"[^}]*\} 84$/m);
  assert.match(text, /^istio_build\{component="proxy",tag="1\.28\.0"\} 1$/m);
  assert.equal(text.match(/^istio_requests_total\{/gm)?.length, 2);
});
