/**
 * The configuration messages of the two Istio proxy extensions Spillway runs, which are not Envoy API
 * protos and so do not ship with `@grpc/grpc-js-xds`: the stats filter (`istio.stats`, typed config
 * `type.googleapis.com/stats.PluginConfig`, istio/proxy
 * `source/extensions/filters/http/istio_stats/config.proto`) and the peer metadata filter
 * (`istio.metadata_exchange`, `type.googleapis.com/io.istio.http.peer_metadata.Config`, istio/proxy
 * `source/extensions/filters/http/peer_metadata/config.proto`). Field names and numbers are those of
 * the upstream schemas, described here as protobufjs JSON so that the validator treats them like any
 * Envoy type (unknown fields rejected, durations normalized).
 */
import type protobuf from 'protobufjs';

const empty = { fields: {} };

const istioExtensionTypes = {
  nested: {
    stats: {
      nested: {
        MetricType: { values: { COUNTER: 0, GAUGE: 1, HISTOGRAM: 2 } },
        Reporter: { values: { UNSPECIFIED: 0, SERVER_GATEWAY: 1 } },
        MetricConfig: {
          fields: {
            dimensions: { keyType: 'string', type: 'string', id: 1 },
            name: { type: 'string', id: 2 },
            tags_to_remove: { rule: 'repeated', type: 'string', id: 3 },
            match: { type: 'string', id: 4 },
            drop: { type: 'bool', id: 5 },
          },
        },
        MetricDefinition: {
          fields: {
            name: { type: 'string', id: 1 },
            value: { type: 'string', id: 2 },
            type: { type: 'MetricType', id: 3 },
          },
        },
        PluginConfig: {
          fields: {
            disable_host_header_fallback: { type: 'bool', id: 6 },
            tcp_reporting_duration: { type: 'google.protobuf.Duration', id: 7 },
            metrics: { rule: 'repeated', type: 'MetricConfig', id: 8 },
            definitions: { rule: 'repeated', type: 'MetricDefinition', id: 9 },
            reporter: { type: 'Reporter', id: 10 },
            rescoping_duration: { type: 'google.protobuf.Duration', id: 11 },
            scope_grace_period_duration: { type: 'google.protobuf.Duration', id: 12 },
          },
        },
      },
    },
    io: {
      nested: {
        istio: {
          nested: {
            http: {
              nested: {
                peer_metadata: {
                  nested: {
                    Config: {
                      fields: {
                        downstream_discovery: { rule: 'repeated', type: 'DiscoveryMethod', id: 1 },
                        upstream_discovery: { rule: 'repeated', type: 'DiscoveryMethod', id: 2 },
                        downstream_propagation: { rule: 'repeated', type: 'PropagationMethod', id: 3 },
                        upstream_propagation: { rule: 'repeated', type: 'PropagationMethod', id: 4 },
                        shared_with_upstream: { type: 'bool', id: 5 },
                        additional_labels: { rule: 'repeated', type: 'string', id: 6 },
                      },
                      nested: {
                        Baggage: empty,
                        WorkloadDiscovery: empty,
                        IstioHeaders: { fields: { skip_external_clusters: { type: 'bool', id: 1 } } },
                        DiscoveryMethod: {
                          oneofs: {
                            method_specifier: { oneof: ['baggage', 'workload_discovery', 'istio_headers'] },
                          },
                          fields: {
                            baggage: { type: 'Baggage', id: 1 },
                            workload_discovery: { type: 'WorkloadDiscovery', id: 2 },
                            istio_headers: { type: 'IstioHeaders', id: 3 },
                          },
                        },
                        PropagationMethod: {
                          oneofs: { method_specifier: { oneof: ['istio_headers'] } },
                          fields: { istio_headers: { type: 'IstioHeaders', id: 1 } },
                        },
                      },
                    },
                  },
                },
              },
            },
          },
        },
      },
    },
  },
};

/** Adds the Istio extension messages to a root that already has `google.protobuf.Duration`. */
export function addIstioExtensionTypes(root: protobuf.Root): void {
  root.addJSON(istioExtensionTypes.nested);
}
