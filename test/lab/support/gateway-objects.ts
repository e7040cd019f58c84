/**
 * Test fixture: one zone's ingress gateway objects as the lab supervisor creates them (lab design
 * "Kubernetes objects"), for tests that run node agents without the supervisor.
 */

/** The lab's ingress gateway for one zone, as the supervisor creates it (lab design "Kubernetes objects"). */
export function gatewayObjects(zone: string): Record<string, unknown>[] {
  const labels = { app: 'istio-ingressgateway', istio: 'ingressgateway' };
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'istio-system' } },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: `istio-ingressgateway-${zone}`, namespace: 'istio-system', labels },
      spec: {
        replicas: 1,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels: { ...labels, 'sidecar.istio.io/inject': 'false' } },
          spec: {
            nodeSelector: { 'topology.kubernetes.io/zone': zone },
            containers: [
              {
                name: 'istio-proxy',
                image: 'spillway/proxyv2',
                args: ['proxy', 'router'],
                ports: [
                  { containerPort: 8080, name: 'http2', protocol: 'TCP' },
                  { containerPort: 15021, name: 'status-port', protocol: 'TCP' },
                ],
                env: [{ name: 'ISTIO_META_CLUSTER_ID', value: 'cluster-2' }],
                readinessProbe: {
                  httpGet: { path: '/healthz/ready', port: 15021 },
                  periodSeconds: 1,
                  failureThreshold: 30,
                },
              },
            ],
          },
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'istio-ingressgateway', namespace: 'istio-system', labels },
      spec: {
        selector: labels,
        ports: [
          { name: 'http2', port: 80, targetPort: 8080, protocol: 'TCP' },
          { name: 'status-port', port: 15021, targetPort: 15021, protocol: 'TCP' },
        ],
      },
    },
  ];
}
