import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  formatOutlierEvent,
  formatProtoTimestamp,
  formatUpstreamUrl,
  secondsSince,
  toProtoUint32,
} from './outlier-event.js';

// The expected lines are Envoy's own, from `OutlierDetectionEventLoggerImplTest` in envoyproxy/envoy
// `test/common/upstream/outlier_detection_impl_test.cc` (system time 1545123600000 ms).
const wall = 1545123600000;

test('formats a consecutive EJECT exactly as Envoy writes it', () => {
  assert.equal(
    formatOutlierEvent({
      type: 'CONSECUTIVE_5XX',
      cluster_name: 'fake_cluster',
      upstream_url: '10.0.0.1:443',
      action: 'EJECT',
      num_ejections: 0,
      enforced: true,
      eject_consecutive_event: {},
      timestamp: formatProtoTimestamp(wall),
    }),
    '{"type":"CONSECUTIVE_5XX","cluster_name":"fake_cluster","upstream_url":"10.0.0.1:443","action":"EJECT",' +
      '"num_ejections":0,"enforced":true,"eject_consecutive_event":{},"timestamp":"2018-12-18T09:00:00Z"}',
  );
});

test('formats a success-rate EJECT with the time since the last action last', () => {
  // Field order given to the formatter does not matter; the output order is Envoy's.
  assert.equal(
    formatOutlierEvent({
      secs_since_last_action: '30',
      timestamp: formatProtoTimestamp(wall),
      eject_success_rate_event: {
        cluster_success_rate_ejection_threshold: 0,
        cluster_average_success_rate: 0,
        host_success_rate: 0,
      },
      enforced: false,
      num_ejections: 0,
      action: 'EJECT',
      upstream_url: '10.0.0.1:443',
      cluster_name: 'fake_cluster',
      type: 'SUCCESS_RATE',
    }),
    '{"type":"SUCCESS_RATE","cluster_name":"fake_cluster","upstream_url":"10.0.0.1:443","action":"EJECT",' +
      '"num_ejections":0,"enforced":false,"eject_success_rate_event":{"host_success_rate":0,' +
      '"cluster_average_success_rate":0,"cluster_success_rate_ejection_threshold":0},' +
      '"timestamp":"2018-12-18T09:00:00Z","secs_since_last_action":"30"}',
  );
});

test('formats failure-percentage EJECT and UNEJECT events', () => {
  const common = {
    type: 'CONSECUTIVE_5XX',
    cluster_name: 'fake_cluster',
    upstream_url: '10.0.0.1:443',
    num_ejections: 0,
    enforced: false,
    timestamp: formatProtoTimestamp(wall),
    secs_since_last_action: '30',
  } as const;
  assert.equal(
    formatOutlierEvent({
      ...common,
      type: 'FAILURE_PERCENTAGE',
      action: 'EJECT',
      eject_failure_percentage_event: { host_success_rate: 0 },
    }),
    '{"type":"FAILURE_PERCENTAGE","cluster_name":"fake_cluster","upstream_url":"10.0.0.1:443","action":"EJECT",' +
      '"num_ejections":0,"enforced":false,"eject_failure_percentage_event":{"host_success_rate":0},' +
      '"timestamp":"2018-12-18T09:00:00Z","secs_since_last_action":"30"}',
  );
  assert.equal(
    formatOutlierEvent({ ...common, action: 'UNEJECT' }),
    '{"type":"CONSECUTIVE_5XX","cluster_name":"fake_cluster","upstream_url":"10.0.0.1:443","action":"UNEJECT",' +
      '"num_ejections":0,"enforced":false,"timestamp":"2018-12-18T09:00:00Z","secs_since_last_action":"30"}',
  );
});

test('timestamps keep milliseconds only when they are not zero', () => {
  const cases: Array<[number, string]> = [
    [wall, '2018-12-18T09:00:00Z'],
    [wall + 5, '2018-12-18T09:00:00.005Z'],
    [wall + 120, '2018-12-18T09:00:00.120Z'],
    [wall + 0.9, '2018-12-18T09:00:00Z'],
  ];
  for (const [ms, text] of cases) assert.equal(formatProtoTimestamp(ms), text);
});

test('upstream URLs are address:port, with brackets for IPv6', () => {
  assert.equal(formatUpstreamUrl('127.0.0.1', 80), '127.0.0.1:80');
  assert.equal(formatUpstreamUrl('::1', 8080), '[::1]:8080');
});

test('double to uint32 truncates and wraps like the C++ conversion', () => {
  const cases: Array<[number, number]> = [
    [52, 52],
    [66.99, 66],
    [0.5, 0],
    [-1, 4294967295],
  ];
  for (const [value, expected] of cases) assert.equal(toProtoUint32(value), expected, String(value));
});

test('seconds since the last action are truncated whole seconds', () => {
  assert.equal(secondsSince(38_999, 0), '38');
  assert.equal(secondsSince(40_000, 2_000), '38');
  assert.equal(secondsSince(500, 0), '0');
});
