/**
 * The one time base of the benchmark: `process.hrtime.bigint()`, libuv's `uv_hrtime`, which on Linux
 * is `clock_gettime(CLOCK_MONOTONIC)` - one clock for every process on the machine, never stepped
 * by NTP. A write timestamp taken in the benchmark process and a receive timestamp taken in a load
 * process are therefore directly comparable. (`performance.timeOrigin + performance.now()` is also
 * monotonic within a process, but each process samples the wall clock for its own `timeOrigin` at
 * start, so two processes' values can differ by that sampling error.)
 */

/** Milliseconds on CLOCK_MONOTONIC (since boot), with sub-microsecond resolution. */
export function monoMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}
