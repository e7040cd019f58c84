/**
 * The kubelet's back-off for restarting a crashed container (CrashLoopBackOff) and for pulling an
 * image again (ImagePullBackOff): client-go `util/flowcontrol/backoff.go` as the kubelet uses it
 * (`pkg/kubelet/kubelet.go`: 10 s initial, `MaxContainerBackOff` 300 s; the image manager: 10 s, 300 s),
 * driven by `kuberuntime_manager.go` doBackOff with the finish time of the last exited container:
 *
 * - no entry yet, or the container finished more than 2 x max (10 min) after the last restart
 *   ("stable"): not in back-off; `next` starts (again) at the initial 10 s;
 * - otherwise in back-off while now - finishedAt < the current delay; `next` doubles it, capped at max.
 *
 * Worked example (a container that exits at once every time): crash 1 -> restarted at once (delay
 * becomes 10 s); crash 2 -> waits 10 s, restarted (20 s); crash 3 -> waits 20 s (40 s); then 40, 80,
 * 160, 300, 300 ... s. A container that ran 11 minutes before crashing is restarted at once again.
 * All times are the agent's monotonic milliseconds.
 */

export const crashLoopInitialMs = 10_000;
export const crashLoopMaxMs = 300_000;

export class RestartBackoff {
  private delayMs: number | undefined;
  private lastUpdateMs = 0;

  constructor(
    private readonly initialMs = crashLoopInitialMs,
    private readonly maxMs = crashLoopMaxMs,
  ) {}

  /** The current delay (0 before the first restart), for messages such as "back-off 20s". */
  currentMs(): number {
    return this.delayMs ?? 0;
  }

  private hasExpired(eventMs: number): boolean {
    return eventMs - this.lastUpdateMs > this.maxMs * 2;
  }

  /** Whether a restart must wait: flowcontrol `IsInBackOffSince(key, finishedAt)`. */
  isInBackOffSince(finishedMs: number, nowMs: number): boolean {
    if (this.delayMs === undefined || this.hasExpired(finishedMs)) return false;
    return nowMs - finishedMs < this.delayMs;
  }

  /** Milliseconds until a restart may happen (0 when not in back-off). */
  remainingMs(finishedMs: number, nowMs: number): number {
    if (!this.isInBackOffSince(finishedMs, nowMs)) return 0;
    return finishedMs + (this.delayMs ?? 0) - nowMs;
  }

  /** Records a restart: flowcontrol `Next(key, finishedAt)`. */
  next(finishedMs: number, nowMs: number): void {
    if (this.delayMs === undefined || this.hasExpired(finishedMs)) this.delayMs = this.initialMs;
    else this.delayMs = Math.min(this.delayMs * 2, this.maxMs);
    this.lastUpdateMs = nowMs;
  }
}

/** Go's `time.Duration.String()` for whole seconds and minutes, as the kubelet prints delays ("5m0s"). */
export function goDurationText(ms: number): string {
  const totalSeconds = Math.round(ms / 1000);
  const minutes = Math.floor(totalSeconds / 60);
  const seconds = totalSeconds % 60;
  return minutes > 0 ? `${minutes}m${seconds}s` : `${seconds}s`;
}
