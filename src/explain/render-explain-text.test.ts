import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildClusterReport, type ExplainReport } from './explain-report.js';
import { renderExplainText } from './render-explain-text.js';
import { fakeClusterView, fakeConfig } from './testing/fake-cluster-view.js';

const drill = fakeClusterView({
  priorities: [
    { locality: 'ap-northeast-1/ap-northeast-1a', hosts: ['ejected'] },
    { locality: 'ap-northeast-1/ap-northeast-1b', hosts: ['healthy'] },
    { locality: 'cn-hangzhou/cn-hangzhou-h', hosts: ['healthy'] },
  ],
  outlier: {},
});

function report(controlPlane: ExplainReport['controlPlane'], withConfig: boolean): ExplainReport {
  return {
    pod: { name: 'mocka-1a-xyz', namespace: 'asm-demo', context: 'cluster-2', node: 'n1', ip: '10.0.9.9' },
    namespace: 'asm-demo',
    proxy: {
      admin: '10.100.9.9:15000',
      nodeId: 'sidecar~10.0.9.9~mocka-1a-xyz.asm-demo~asm-demo.svc.cluster.local',
    },
    service: { query: 'mockb', host: 'mockb.asm-demo.svc.cluster.local' },
    controlPlane,
    clusters: [buildClusterReport({ view: drill, config: withConfig ? fakeConfig() : undefined })],
  };
}

describe('spillway explain rendering', () => {
  test('the ladder: loads per priority, the ejected endpoint with pod, reason and time left, why, warnings', () => {
    const text = renderExplainText(
      report({ admin: '10.0.0.2:15014', status: 'ok', message: undefined }, true),
    );
    const lines = text.split('\n');
    assert.equal(lines[0], 'pod      asm-demo/mocka-1a-xyz (cluster-2, n1, 10.0.9.9)');
    assert.equal(lines[3], 'service  mockb -> mockb.asm-demo.svc.cluster.local (from namespace asm-demo)');
    assert.ok(lines.includes('  P0  load   0 %   health 0, 0/1 endpoints healthy'), text);
    assert.ok(lines.includes('  P1  load 100 %   health 100, 1/1 endpoints healthy'), text);
    assert.ok(lines.includes('      ap-northeast-1/ap-northeast-1a'), text);
    const ejected = lines.find((l) => l.includes('10.0.0.1:8000'));
    assert.match(
      ejected ?? '',
      /^ {8}10\.0\.0\.1:8000 +mockb-1a-abc \[cluster-2\] +EJECTED \(CONSECUTIVE_5XX: 1 consecutive 5xx \(consecutive5xxErrors\)\), 4m52s left of 5m, back at the interval tick in ~5m2s; ejected 1x, backoff 1$/,
    );
    assert.ok(lines.includes('  priority loads: 0/100/0'), text);
    assert.ok(
      lines.includes(
        '    outlier detection  DestinationRule asm-demo/mockb spec.trafficPolicy.outlierDetection',
      ),
      text,
    );
    assert.ok(
      lines.includes(
        '    priorities         mesh default localityLbSetting {enabled: true}: failover by locality because outlier detection is set (DestinationRule asm-demo/mockb spec.trafficPolicy.outlierDetection)',
      ),
      text,
    );
    assert.ok(
      lines.includes(
        '    routes             VirtualService asm-demo/mockb (route config http_proxy, virtual host mockb.asm-demo.svc.cluster.local:8000)',
      ),
      text,
    );
    assert.ok(
      lines.some((l) =>
        l.startsWith('    ! priority 0 (ap-northeast-1/ap-northeast-1a) has no healthy endpoint'),
      ),
    );
    assert.ok(lines.some((l) => l.startsWith('    i baseEjectionTime 5m')));
  });

  test('without the config side the ladder is complete and the missing part is named', () => {
    const text = renderExplainText(
      report(
        {
          admin: '10.0.0.2:15014',
          status: 'unreachable',
          message: 'control plane at 10.0.0.2:15014 unreachable: connect ECONNREFUSED',
        },
        false,
      ),
    );
    assert.match(text, /^control {2}10\.0\.0\.2:15014: control plane at 10\.0\.0\.2:15014 unreachable/m);
    assert.match(text, /priority loads: 0\/100\/0/);
    assert.match(
      text,
      /^ {4}the config side is missing: control plane at 10\.0\.0\.2:15014 unreachable: connect ECONNREFUSED/m,
    );
    assert.doesNotMatch(text, /outlier detection {2}DestinationRule/);
  });

  test('the JSON form carries the same facts: loads, endpoint health, ejection, provenance, warnings', () => {
    const json = JSON.parse(
      JSON.stringify(report({ admin: 'a', status: 'ok', message: undefined }, true)),
    ) as ExplainReport;
    const c = json.clusters[0];
    assert.deepEqual(
      c?.priorities.map((p) => p.loadPct),
      [0, 100, 0],
    );
    const e = c?.priorities[0]?.localities[0]?.endpoints[0];
    assert.equal(e?.health, 'ejected');
    assert.equal(e?.pod, 'mockb-1a-abc');
    assert.deepEqual(
      [e?.ejection?.type, e?.ejection?.timeLeftMs, e?.ejection?.durationMs, e?.ejection?.numEjections],
      ['CONSECUTIVE_5XX', 292_400, 300_000, 1],
    );
    assert.equal(c?.ejectedHosts, 1);
    assert.equal(c?.provenance?.destinationRule, 'DestinationRule asm-demo/mockb');
    assert.deepEqual(
      c?.warnings.map((w) => w.code),
      ['priority-without-healthy-endpoint', 'long-ejection'],
    );
  });
});
