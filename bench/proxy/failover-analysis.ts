/**
 * What the client saw around the fault: errors, who answered, and how long until the traffic had moved
 * away from the failed backend.
 */
import type { RequestRecord } from './failover-messages.js';

export interface LatencySummaryMs {
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

export interface FailoverAnalysis {
  readonly requests: number;
  /** Requests per second actually sent over the run. */
  readonly achievedRatePerS: number;
  /** Failed requests (non-200 or no response) that completed before / at-or-after the fault. */
  readonly errorsBeforeFault: number;
  readonly errorsAfterFault: number;
  /**
   * Failed requests sent after the client had received `consecutiveErrors` failures. Each failure is
   * answered only after Spillway reported it to the outlier detector, so these are requests routed
   * after the detector had seen that many failures of A: with inline ejection (Envoy
   * `DetectorHostMonitorImpl::putHttpResponseCode`, `++counter == N`) there are none, unless A
   * answered a request in between (a success resets the counter). Errors beyond `consecutiveErrors`
   * that are not counted here were routed to A while its earlier failures were still being detected.
   */
  readonly errorsSentAfterNthFailure: number;
  /** Requests sent after the fault that the failed backend still answered (in flight when it stopped). */
  readonly answeredByFailedAfterFault: number;
  /**
   * ms from the fault until, in every window of `windowSize` consecutive requests sent from then on,
   * at least `share` were answered (200) by a backend other than the failed one.
   */
  readonly timeTo99Ms: number | undefined;
  /** ms from the fault to the send time of the last request not served elsewhere (0 when none). */
  readonly lastNotServedElsewhereMs: number;
  /** Who answered the requests sent in the second half of the after-fault period. */
  readonly settledAnswers: Record<string, number>;
  readonly latencyBeforeFaultMs: LatencySummaryMs | undefined;
  readonly latencyAfterFaultMs: LatencySummaryMs | undefined;
  /** Failed requests by cause, read from the status and Envoy's local reply body. */
  readonly errorKinds: Record<string, number>;
  /**
   * Requests sent from 5 ms before the fault until just after the last one not served elsewhere (at
   * most 40): ms after the fault, latency, and who answered (`!<status>` for a failure).
   */
  readonly timeline: readonly string[];
  /** The first few failed requests: ms after the fault (negative = before) and what was received. */
  readonly firstErrors: readonly {
    readonly atMs: number;
    readonly status: number;
    readonly answer: string;
  }[];
}

export interface AnalysisOptions {
  readonly faultAtMs: number;
  readonly failedBackend: string;
  readonly windowSize: number;
  readonly share: number;
  /** The outlier detector's consecutive-error threshold (`consecutive_5xx`). */
  readonly consecutiveErrors: number;
}

function isOk(record: RequestRecord): boolean {
  return record.status === 200;
}

/**
 * The cause of a failed request. The 503 bodies are Envoy's local replies (`router.cc`
 * `Filter::onUpstreamReset`): "upstream connect error or disconnect/reset before headers. reset
 * reason: <reason>", where a refused connect is "remote connection failure" (older Envoy: "connection
 * failure") and a connection that closed after it was established is "connection termination".
 */
export function errorKind(record: RequestRecord): string {
  if (record.status === 0) return `no response (${record.answer})`;
  const text = record.answer;
  if (/reset reason: (remote )?connection failure/.test(text)) return `${record.status} connect failure`;
  if (/reset reason: connection termination/.test(text)) return `${record.status} connection termination`;
  if (/overflow/.test(text)) return `${record.status} overflow`;
  if (/timeout/.test(text)) return `${record.status} timeout`;
  return `${record.status} other`;
}

function percentiles(values: number[]): LatencySummaryMs | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return { p50: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1]! };
}

/**
 * Worked example (window 100, share 0.99): with failures at the 1st, 3rd and 5th request after the
 * fault, the window starting at the 1st request holds 3 failures (97 %), the one starting right after
 * the 3rd holds 1 (99 %), and so does every later one: the answer is the send time of the 4th request.
 */
export function analyseFailover(
  records: readonly RequestRecord[],
  options: AnalysisOptions,
): FailoverAnalysis {
  const sorted = [...records].sort((a, b) => a.sentMs - b.sentMs);
  const { faultAtMs, failedBackend } = options;
  const completedBefore = (r: RequestRecord): boolean => r.sentMs + r.latencyMs < faultAtMs;
  const after = sorted.filter((r) => r.sentMs >= faultAtMs);
  const before = sorted.filter((r) => r.sentMs < faultAtMs);
  const isElsewhere = (r: RequestRecord): boolean => isOk(r) && r.answer !== failedBackend;

  // bad[i] = 1 when request i (sent after the fault) was not served elsewhere; prefix sums give the
  // number of bad requests in any window, and a suffix maximum the worst window from i on.
  const n = after.length;
  const prefix = [0];
  for (const r of after) prefix.push(prefix[prefix.length - 1]! + (isElsewhere(r) ? 0 : 1));
  const allowed = Math.floor((1 - options.share) * options.windowSize + 1e-9);
  let timeTo99Ms: number | undefined;
  if (n >= options.windowSize) {
    const windows = n - options.windowSize + 1;
    const worstFrom = new Array<number>(windows + 1).fill(0);
    for (let i = windows - 1; i >= 0; i--) {
      const bad = prefix[i + options.windowSize]! - prefix[i]!;
      worstFrom[i] = Math.max(bad, worstFrom[i + 1]!);
    }
    const start = worstFrom.findIndex((worst, i) => i < windows && worst <= allowed);
    if (start >= 0) timeTo99Ms = after[start]!.sentMs - faultAtMs;
  }

  let lastBad: RequestRecord | undefined;
  for (const r of after) if (!isElsewhere(r)) lastBad = r;

  const settled: Record<string, number> = {};
  const endMs = after.length > 0 ? after[after.length - 1]!.sentMs : faultAtMs;
  const settleFrom = faultAtMs + (endMs - faultAtMs) / 2;
  for (const r of after) {
    if (r.sentMs < settleFrom) continue;
    const key = isOk(r) ? r.answer : `error ${r.status}`;
    settled[key] = (settled[key] ?? 0) + 1;
  }

  const failuresByAnswer = sorted
    .filter((r) => !isOk(r))
    .map((r) => ({ sentMs: r.sentMs, answeredMs: r.sentMs + r.latencyMs }))
    .sort((a, b) => a.answeredMs - b.answeredMs);
  const nth = failuresByAnswer[options.consecutiveErrors - 1];
  const errorsSentAfterNthFailure =
    nth === undefined || options.consecutiveErrors < 1
      ? 0
      : failuresByAnswer.filter((r) => r.sentMs > nth.answeredMs).length;

  const spanS = sorted.length > 1 ? (sorted[sorted.length - 1]!.sentMs - sorted[0]!.sentMs) / 1000 : 0;
  return {
    requests: sorted.length,
    achievedRatePerS: spanS > 0 ? (sorted.length - 1) / spanS : 0,
    errorsBeforeFault: sorted.filter((r) => !isOk(r) && completedBefore(r)).length,
    errorsAfterFault: sorted.filter((r) => !isOk(r) && !completedBefore(r)).length,
    errorsSentAfterNthFailure,
    answeredByFailedAfterFault: after.filter((r) => isOk(r) && r.answer === failedBackend).length,
    timeTo99Ms,
    lastNotServedElsewhereMs: lastBad === undefined ? 0 : lastBad.sentMs - faultAtMs,
    settledAnswers: settled,
    latencyBeforeFaultMs: percentiles(before.map((r) => r.latencyMs)),
    latencyAfterFaultMs: percentiles(after.map((r) => r.latencyMs)),
    timeline: sorted
      .filter((r) => r.sentMs >= faultAtMs - 5 && r.sentMs <= (lastBad?.sentMs ?? faultAtMs) + 2)
      .slice(0, 40)
      .map(
        (r) =>
          `${(r.sentMs - faultAtMs).toFixed(2)} ${isOk(r) ? r.answer : `!${r.status}`} ${r.latencyMs.toFixed(2)}ms`,
      ),
    errorKinds: sorted
      .filter((r) => !isOk(r))
      .reduce<Record<string, number>>((kinds, r) => {
        const kind = errorKind(r);
        kinds[kind] = (kinds[kind] ?? 0) + 1;
        return kinds;
      }, {}),
    firstErrors: sorted
      .filter((r) => !isOk(r))
      .slice(0, 5)
      .map((r) => ({ atMs: r.sentMs - faultAtMs, status: r.status, answer: r.answer })),
  };
}
