/**
 * The smallest lab that gives a three-priority ladder (the seed's drill in miniature): region
 * ap-northeast-1 with zones 1a and 1b in cluster-1, region cn-hangzhou with one zone in cluster-2,
 * one mesh (control plane of cluster-1, discovering both). mocka runs in 1a; mockb in 1a (P0 for
 * mocka), 1b (P1: same region) and cn-hangzhou-h (P2: other region). cluster-2 has no control plane,
 * so its mockb runs without a sidecar (a sidecar without configuration never becomes Ready).
 *
 * addressBase 95 (clusters 127.96/127.97, pod localhosts 127.196/127.197): inside this helper's
 * 127.91-99 range, clear of the lab-up test's addressBase 90 and of the 127.93-95 addresses other
 * tests use.
 */
export const explainTopology = `apiVersion: spillway.io/v1alpha1
kind: LabTopology
metadata:
  name: explain
spec:
  addressBase: 95
  regions:
    - name: ap-northeast-1
      zones: [ap-northeast-1a, ap-northeast-1b]
    - name: cn-hangzhou
      zones: [cn-hangzhou-h]
  clusters:
    - { name: cluster-1, region: ap-northeast-1, network: network-1, nodesPerZone: 1, ingressPort: 8080 }
    - { name: cluster-2, region: cn-hangzhou, network: network-1, nodesPerZone: 1, ingressPort: 8080 }
  meshes:
    - { name: mesh-1, region: ap-northeast-1, configCluster: cluster-1, clusters: [cluster-1, cluster-2] }
`;

/**
 * cluster-1: mocka (1a, calling mockb), mockb in 1a and 1b, and the seed's DestinationRule for mockb
 * but with maxEjectionPercent 10 (the warning case; the test raises it to 100 later).
 */
export const cluster1App = `apiVersion: v1
kind: Service
metadata: { name: mocka, labels: { app: mocka } }
spec: { ports: [{ port: 8000, name: http }], selector: { app: mocka } }
---
apiVersion: v1
kind: Service
metadata: { name: mockb, labels: { app: mockb } }
spec: { ports: [{ port: 8000, name: http }], selector: { app: mockb } }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: mocka-ap-northeast-1a, labels: { app: mocka } }
spec:
  replicas: 1
  selector: { matchLabels: { app: mocka } }
  template:
    metadata: { labels: { app: mocka, locality: ap-northeast-1a } }
    spec:
      nodeSelector: { topology.kubernetes.io/zone: ap-northeast-1a }
      containers:
      - name: default
        image: registry-cn-hangzhou.ack.aliyuncs.com/ack-demo/go-http-sample:tracing
        env: [{ name: version, value: ap-northeast-1a }, { name: app, value: mocka }, { name: upstream_url, value: "http://mockb:8000/" }]
        ports: [{ containerPort: 8000 }]
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: mockb-ap-northeast-1a, labels: { app: mockb } }
spec:
  replicas: 1
  selector: { matchLabels: { app: mockb, locality: ap-northeast-1a } }
  template:
    metadata: { labels: { app: mockb, locality: ap-northeast-1a } }
    spec:
      nodeSelector: { topology.kubernetes.io/zone: ap-northeast-1a }
      containers:
      - name: default
        image: registry-cn-hangzhou.ack.aliyuncs.com/ack-demo/go-http-sample:tracing
        env: [{ name: version, value: ap-northeast-1a }, { name: app, value: mockb }]
        ports: [{ containerPort: 8000 }]
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: mockb-ap-northeast-1b, labels: { app: mockb } }
spec:
  replicas: 1
  selector: { matchLabels: { app: mockb, locality: ap-northeast-1b } }
  template:
    metadata: { labels: { app: mockb, locality: ap-northeast-1b } }
    spec:
      nodeSelector: { topology.kubernetes.io/zone: ap-northeast-1b }
      containers:
      - name: default
        image: registry-cn-hangzhou.ack.aliyuncs.com/ack-demo/go-http-sample:tracing
        env: [{ name: version, value: ap-northeast-1b }, { name: app, value: mockb }]
        ports: [{ containerPort: 8000 }]
---
apiVersion: networking.istio.io/v1beta1
kind: DestinationRule
metadata: { name: mockb }
spec:
  host: mockb
  trafficPolicy:
    outlierDetection:
      splitExternalLocalOriginErrors: true
      consecutiveLocalOriginFailures: 1
      baseEjectionTime: 5m
      consecutive5xxErrors: 1
      interval: 30s
      maxEjectionPercent: 10
`;

/** cluster-2: the peer mockb in cn-hangzhou-h. */
export const cluster2App = `apiVersion: v1
kind: Service
metadata: { name: mockb, labels: { app: mockb } }
spec: { ports: [{ port: 8000, name: http }], selector: { app: mockb } }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: mockb-cn-hangzhou-h, labels: { app: mockb } }
spec:
  replicas: 1
  selector: { matchLabels: { app: mockb } }
  template:
    metadata: { labels: { app: mockb, locality: cn-hangzhou-h, sidecar.istio.io/inject: "false" } }
    spec:
      containers:
      - name: default
        image: registry-cn-hangzhou.ack.aliyuncs.com/ack-demo/go-http-sample:tracing
        env: [{ name: version, value: cn-hangzhou-h }, { name: app, value: mockb }]
        ports: [{ containerPort: 8000 }]
`;
