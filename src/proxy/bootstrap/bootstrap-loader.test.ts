import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ConfigError, ErrorCode } from '../../core/errors.js';
import type { BootstrapConfig } from '../config/bootstrap-config.js';
import type { LbEndpointConfig } from '../config/cluster-config.js';
import { loadBootstrapFile, parseConfigText } from './bootstrap-loader.js';

/** The source testdata directory (tests run from the compiled tree, wherever tsc put it). */
function testdataDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('package.json not found above the test');
    dir = parent;
  }
  return path.join(dir, 'src', 'proxy', 'bootstrap', 'testdata');
}

const testdata = testdataDir();

function endpoint(port: number): LbEndpointConfig {
  return {
    address: { address: '127.0.0.1', port },
    hostname: '',
    healthStatus: 'UNKNOWN',
    weight: 1,
    metadata: {},
  };
}

const defaultThresholds = {
  maxConnections: 1024,
  maxPendingRequests: 1024,
  maxRequests: 1024,
  maxRetries: 3,
  trackRemaining: false,
};

const expectedThreePriorities: Omit<BootstrapConfig, 'source'> = {
  node: {
    id: 'client-1',
    cluster: 'client',
    locality: { region: 'eu-west-1', zone: 'eu-west-1a', subZone: '' },
    metadata: { NAMESPACE: 'demo' },
    wire: {
      id: 'client-1',
      cluster: 'client',
      locality: { region: 'eu-west-1', zone: 'eu-west-1a' },
      metadata: { NAMESPACE: 'demo' },
    },
  },
  admin: { address: { address: '127.0.0.1', port: 0 }, accessLogs: [] },
  listeners: [
    {
      name: 'ingress',
      address: { address: '127.0.0.1', port: 10000 },
      perConnectionBufferLimitBytes: 1048576,
      hcm: {
        statPrefix: 'ingress_http',
        codecType: 'AUTO',
        serverName: 'envoy',
        serverHeaderTransformation: 'OVERWRITE',
        rdsRouteConfigName: undefined,
        rdsConfigSource: undefined,
        routeConfig: {
          name: 'local_route',
          requestHeadersToAdd: [],
          requestHeadersToRemove: [],
          responseHeadersToAdd: [],
          responseHeadersToRemove: [],
          virtualHosts: [
            {
              name: 'backend',
              domains: ['*'],
              retryPolicy: undefined,
              includeRequestAttemptCount: false,
              includeAttemptCountInResponse: false,
              requestHeadersToAdd: [],
              requestHeadersToRemove: [],
              responseHeadersToAdd: [],
              responseHeadersToRemove: [],
              faultOverride: undefined,
              routes: [
                {
                  name: '',
                  match: {
                    path: { kind: 'prefix', value: '/' },
                    caseSensitive: true,
                    headers: [],
                    queryParameters: [],
                    grpcOnly: false,
                  },
                  action: {
                    kind: 'route',
                    cluster: { kind: 'cluster', name: 'backend' },
                    clusterNotFoundResponseCode: 503,
                    timeoutMs: 15000,
                    idleTimeoutMs: 0,
                    retryPolicy: {
                      retryOn: new Set(['connect-failure']),
                      numRetries: 1,
                      perTryTimeoutMs: 0,
                      perTryIdleTimeoutMs: 0,
                      retriableStatusCodes: [],
                      hostPredicates: ['previous_hosts'],
                      hostSelectionRetryMaxAttempts: 5,
                      retryPriority: undefined,
                      backOff: { baseIntervalMs: 25, maxIntervalMs: 250 },
                      retriableHeaders: [],
                    },
                    prefixRewrite: undefined,
                    regexRewrite: undefined,
                    hostRewriteLiteral: undefined,
                    autoHostRewrite: false,
                  },
                  requestHeadersToAdd: [],
                  requestHeadersToRemove: [],
                  responseHeadersToAdd: [],
                  responseHeadersToRemove: [],
                  faultOverride: undefined,
                },
              ],
            },
          ],
        },
        httpFilters: [
          {
            kind: 'fault',
            name: 'envoy.filters.http.fault',
            config: {
              delay: undefined,
              abort: undefined,
              headers: [],
              upstreamCluster: undefined,
              downstreamNodes: [],
              maxActiveFaults: undefined,
            },
          },
          { kind: 'router', name: 'envoy.filters.http.router' },
        ],
        accessLogs: [],
        generateRequestId: true,
        preserveExternalRequestId: false,
        useRemoteAddress: false,
        xffNumTrustedHops: 0,
        skipXffAppend: false,
        via: '',
        requestTimeoutMs: 0,
        streamIdleTimeoutMs: 300000,
        idleTimeoutMs: 3600000,
        maxRequestHeadersKb: 60,
        http2MaxConcurrentStreams: 2147483647,
        suppressEnvoyHeaders: false,
        trafficDirection: 'UNSPECIFIED',
      },
    },
  ],
  clusters: [
    {
      name: 'backend',
      statName: 'backend',
      type: 'STATIC',
      edsServiceName: undefined,
      edsConfig: undefined,
      connectTimeoutMs: 250,
      lbPolicy: 'ROUND_ROBIN',
      leastRequestChoiceCount: 2,
      healthyPanicThresholdPct: 0,
      localityWeightedLb: false,
      loadAssignment: {
        clusterName: 'backend',
        overprovisioningFactor: 140,
        weightedPriorityHealth: false,
        localities: [
          {
            locality: { region: 'eu-west-1', zone: 'eu-west-1a', subZone: '' },
            weight: undefined,
            priority: 0,
            endpoints: [endpoint(8001), endpoint(8002)],
          },
          {
            locality: { region: 'eu-west-1', zone: 'eu-west-1b', subZone: '' },
            weight: undefined,
            priority: 1,
            endpoints: [endpoint(8003), endpoint(8004)],
          },
          {
            locality: { region: 'us-east-1', zone: 'us-east-1a', subZone: '' },
            weight: undefined,
            priority: 2,
            endpoints: [endpoint(8005), endpoint(8006)],
          },
        ],
      },
      circuitBreakers: { default: defaultThresholds, high: defaultThresholds },
      outlierDetection: {
        consecutive5xx: 1,
        intervalMs: 10000,
        baseEjectionTimeMs: 30000,
        maxEjectionPercent: 100,
        enforcingConsecutive5xx: 100,
        enforcingSuccessRate: 100,
        successRateMinimumHosts: 5,
        successRateRequestVolume: 100,
        successRateStdevFactor: 1900,
        consecutiveGatewayFailure: 5,
        enforcingConsecutiveGatewayFailure: 0,
        splitExternalLocalOriginErrors: false,
        consecutiveLocalOriginFailure: 5,
        enforcingConsecutiveLocalOriginFailure: 100,
        enforcingLocalOriginSuccessRate: 100,
        failurePercentageThreshold: 85,
        enforcingFailurePercentage: 0,
        enforcingFailurePercentageLocalOrigin: 0,
        failurePercentageMinimumHosts: 5,
        failurePercentageRequestVolume: 50,
        maxEjectionTimeMs: 300000,
        maxEjectionTimeJitterMs: 0,
        successfulActiveHealthCheckUnejectHost: true,
        alwaysEjectOneHost: false,
      },
      protocol: 'http1',
      upstreamIdleTimeoutMs: 3600000,
      maxRequestsPerConnection: 0,
      http2MaxConcurrentStreams: 2147483647,
      dnsRefreshRateMs: 5000,
      dnsLookupFamily: 'AUTO',
      perConnectionBufferLimitBytes: 1048576,
      metadata: {},
      closeConnectionsOnHostHealthFailure: false,
    },
  ],
  outlierEventLogPath: undefined,
  dynamicResources: undefined,
  statsMatcher: undefined,
};

for (const file of ['three-priorities.yaml', 'three-priorities.json', 'three-priorities-camel-case.json']) {
  test(`loads ${file} with every field resolved, defaults included`, async () => {
    const { source, ...config } = await loadBootstrapFile(path.join(testdata, file));
    assert.deepStrictEqual(config, expectedThreePriorities);
    // The source is the normalized bootstrap, identical whatever the input spelling.
    assert.equal(
      (source['static_resources'] as { clusters: Array<{ connect_timeout: string }> }).clusters[0]
        ?.connect_timeout,
      '0.25s',
    );
  });
}

test('YAML, JSON and camelCase spellings normalize to the same source', async () => {
  const [yaml, json, camel] = await Promise.all(
    ['three-priorities.yaml', 'three-priorities.json', 'three-priorities-camel-case.json'].map((f) =>
      loadBootstrapFile(path.join(testdata, f)),
    ),
  );
  assert.deepStrictEqual(json?.source, yaml?.source);
  assert.deepStrictEqual(camel?.source, yaml?.source);
});

const invalidFiles: ReadonlyArray<{ file: string; code: string; path: string; problem: RegExp }> = [
  {
    file: 'unknown-field.yaml',
    code: ErrorCode.configUnknownField,
    path: 'static_resources.clusters[0].conect_timeout',
    problem: /unknown field "conect_timeout"/,
  },
  {
    file: 'wrong-type.yaml',
    code: ErrorCode.configWrongType,
    path: 'static_resources.clusters[0].per_connection_buffer_limit_bytes',
    problem: /expected an integer \(uint32\), got the boolean true/,
  },
  {
    file: 'unknown-enum.yaml',
    code: ErrorCode.configInvalid,
    path: 'static_resources.clusters[0].lb_policy',
    problem: /unknown enum value "ROUND_ROBBIN"/,
  },
  {
    file: 'percent-over-100.yaml',
    code: ErrorCode.configOutOfRange,
    path: 'static_resources.clusters[0].outlier_detection.max_ejection_percent',
    problem: /less than or equal to 100 \(got 101\)/,
  },
  {
    file: 'zero-duration.yaml',
    code: ErrorCode.configOutOfRange,
    path: 'static_resources.clusters[0].connect_timeout',
    problem: /greater than 0s \(got 0s\)/,
  },
  {
    file: 'negative-duration.yaml',
    code: ErrorCode.configOutOfRange,
    path: 'static_resources.clusters[0].outlier_detection.interval',
    problem: /greater than 0s \(got -1s\)/,
  },
  {
    file: 'malformed-duration.yaml',
    code: ErrorCode.configWrongType,
    path: 'static_resources.clusters[0].connect_timeout',
    problem: /expected a duration such as "1.5s" \(protobuf JSON form\), got "5m"/,
  },
  {
    file: 'two-oneof-members.yaml',
    code: ErrorCode.configInvalid,
    path: 'static_resources.listeners[0].filter_chains[0].filters[0].typed_config.route_config.virtual_hosts[0].routes[0].match.path',
    problem: /only one of prefix, path, .* may be set \(oneof path_specifier\)/,
  },
  {
    file: 'unknown-type.yaml',
    code: ErrorCode.configInvalid,
    path: 'static_resources.listeners[0].filter_chains[0].filters[0].typed_config.@type',
    problem: /unknown type ".*HttpConnectionManagr"/,
  },
  {
    file: 'max-ejection-time-below-base.yaml',
    code: ErrorCode.configInvalid,
    path: 'static_resources.clusters[0].outlier_detection.max_ejection_time',
    problem: /^outlier detector's max_ejection_time cannot be smaller than base_ejection_time$/,
  },
  {
    file: 'ads-config-missing.yaml',
    code: ErrorCode.configInvalid,
    path: 'dynamic_resources.cds_config.ads',
    problem: /^ADS must be configured to support an ADS config source$/,
  },
  {
    file: 'transport-socket.yaml',
    code: ErrorCode.configUnsupported,
    path: 'static_resources.clusters[0].transport_socket',
    problem: /"transport_socket" is not yet supported by Spillway/,
  },
  {
    file: 'router-not-last.yaml',
    code: ErrorCode.configInvalid,
    path: 'static_resources.listeners[0].filter_chains[0].filters[0].typed_config.http_filters[0]',
    problem:
      /terminal filter named envoy.filters.http.router .* must be the last filter in a http filter chain/,
  },
  {
    file: 'duplicate-cluster.yaml',
    code: ErrorCode.configInvalid,
    path: 'static_resources.clusters[1].name',
    problem: /cluster manager: duplicate cluster 'backend'/,
  },
  {
    file: 'unknown-cluster.yaml',
    code: ErrorCode.configInvalid,
    path: 'static_resources.listeners[0].filter_chains[0].filters[0].typed_config.route_config.virtual_hosts[0].routes[0].route.cluster',
    problem: /route: unknown cluster 'backnd'/,
  },
  {
    file: 'yaml-syntax.yaml.broken',
    code: ErrorCode.configParse,
    path: '',
    problem: /YAML syntax error at line 16, column \d+/,
  },
];

for (const c of invalidFiles) {
  test(`rejects invalid/${c.file} naming the file, document 0, the path and the problem`, async () => {
    const file = path.join(testdata, 'invalid', c.file);
    await assert.rejects(loadBootstrapFile(file), (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.equal(e.code, c.code);
      assert.equal(e.location.file, file);
      assert.equal(e.location.documentIndex, 0);
      assert.equal(e.location.path, c.path);
      assert.match(e.problem, c.problem);
      assert.ok(
        e.message.startsWith(`${file}: document 0: ${c.path === '' ? '(root)' : c.path}: `),
        e.message,
      );
      return true;
    });
  });
}

test('reports JSON syntax errors with line and column', () => {
  assert.throws(
    () => parseConfigText('{\n  "admin": {,\n}', 'bad.json'),
    (e: unknown) =>
      e instanceof ConfigError &&
      e.code === ErrorCode.configParse &&
      /^bad\.json: document 0: \(root\): JSON syntax error at line 2, column 13/.test(e.message),
  );
});

test('rejects a second YAML document, duplicate keys and an empty file', () => {
  const problem = (text: string): string => {
    try {
      parseConfigText(text, 'f.yaml');
    } catch (e) {
      assert.ok(e instanceof ConfigError);
      return `${e.location.documentIndex}: ${e.problem}`;
    }
    return 'accepted';
  };
  assert.equal(problem('admin: {}\n---\nadmin: {}\n'), '1: a bootstrap file holds exactly one YAML document');
  assert.match(
    problem('admin: {}\nadmin: {}\n'),
    /^0: YAML syntax error at line 2, column 1: Map keys must be unique/,
  );
  assert.equal(problem('# nothing\n'), '0: the file holds no configuration');
});

test('drops !ignore keys so that anchors can live in them, as Envoy does', () => {
  const parsed = parseConfigText('!ignore defaults: &timeout 2s\nnode: { id: *timeout }\n');
  assert.deepEqual(parsed, { node: { id: '2s' } });
});

test('reports an unreadable file with its name', async () => {
  const missing = path.join(await mkdtemp(path.join(tmpdir(), 'spillway-')), 'missing.yaml');
  await assert.rejects(
    loadBootstrapFile(missing),
    (e: unknown) =>
      e instanceof ConfigError && e.code === ErrorCode.configRead && e.location.file === missing,
  );
});
