/**
 * Earliest-deadline-first scheduler for weighted round robin, reproducing Envoy's `EdfScheduler`
 * (envoyproxy/envoy `source/common/upstream/edf_scheduler.h`):
 * - an entry added with weight w at scheduler time t is due at t + 1/w;
 * - a pick takes the entry with the smallest deadline, ties going to the entry added first (a
 *   monotonically increasing insertion counter), and moves the scheduler time to that deadline;
 * - "pick and add" re-inserts the picked entry with its weight as computed at pick time, so dynamic
 *   weights (least request) take effect from the next round;
 * - `createWithPicks` builds a scheduler in the state it would have after N picks, which Envoy uses to
 *   start each balancer at a random point of the rotation.
 *
 * Example: weights a=1, b=2 pick b (due 0.5), then a (due 1.0, tied with b's new deadline and added
 * first), then b, b, a, ... i.e. the period b a b repeats.
 *
 * Not reproduced: `peekAgain` (Envoy uses it only for preconnect) and weak entries that expire
 * (our schedulers are rebuilt whenever membership changes, so no entry outlives its host).
 */

interface EdfEntry<T> {
  readonly deadline: number;
  readonly order: number;
  readonly item: T;
}

/** Envoy caps emulated picks at UINT32_MAX / 10 (`createWithPicks`). */
const maxEmulatedPicks = 429496729;
/** Added to every weight in `createWithPicks` so weights that are multiples of each other stay exact. */
const weightEpsilon = 1e-13;

export class EdfScheduler<T> {
  private currentTime = 0;
  private orderOffset = 0;
  private readonly heap: Array<EdfEntry<T>> = [];

  /** Inserts `item`, due at now + 1/weight. `weight` must be > 0. */
  add(weight: number, item: T): void {
    if (!(weight > 0)) throw new Error(`EDF weight must be > 0, got ${weight}`);
    this.push({ deadline: this.currentTime + 1 / weight, order: this.orderOffset++, item });
  }

  /** Picks the earliest-deadline entry and re-adds it with `weightOf(item)`; undefined when empty. */
  pickAndAdd(weightOf: (item: T) => number): T | undefined {
    const top = this.pop();
    if (top === undefined) return undefined;
    this.currentTime = top.deadline;
    this.add(weightOf(top.item), top.item);
    return top.item;
  }

  get size(): number {
    return this.heap.length;
  }

  isEmpty(): boolean {
    return this.heap.length === 0;
  }

  /**
   * A scheduler holding `items`, in (nearly) the state that adding them in order and then calling
   * `pickAndAdd` `picks` times would give. Like Envoy, the bulk of the picks is emulated in O(n): item i
   * is deemed picked ⌊P · w_i / W⌋ times (one fewer if floating point overshoots), the scheduler time is
   * the latest of those pick times, and the few remaining picks are real picks. Ties between equal
   * weights may break differently from the step-by-step construction, as in Envoy.
   */
  static createWithPicks<T>(
    items: readonly T[],
    weightOf: (item: T) => number,
    picks: number,
  ): EdfScheduler<T> {
    const scheduler = new EdfScheduler<T>();
    if (items.length === 0) return scheduler;
    const totalPicks = (picks >>> 0) % maxEmulatedPicks;
    const weights = items.map((item) => {
      const w = weightOf(item);
      if (!(w > 0)) throw new Error(`EDF weight must be > 0, got ${w}`);
      return w + weightEpsilon;
    });
    let weightsSum = 0;
    for (const w of weights) weightsSum += w;

    let picksSoFar = 0;
    let maxPickTime = 0;
    items.forEach((item, i) => {
      const weight = weights[i] as number;
      // Truncation, like Envoy's cast to uint32.
      let floorPicks = Math.trunc((weight * totalPicks) / weightsSum);
      if (floorPicks > 0 && floorPicks / weight >= totalPicks / weightsSum) floorPicks--;
      maxPickTime = Math.max(maxPickTime, floorPicks / weight);
      scheduler.heap.push({ deadline: (floorPicks + 1) / weight, order: i, item });
      picksSoFar += floorPicks;
    });
    scheduler.heapify();
    scheduler.currentTime = maxPickTime;
    scheduler.orderOffset = items.length;
    // The leftover picks use the caller's weights without the epsilon, as Envoy's do.
    for (; picksSoFar < totalPicks; picksSoFar++) scheduler.pickAndAdd(weightOf);
    return scheduler;
  }

  private static before<T>(a: EdfEntry<T>, b: EdfEntry<T>): boolean {
    return a.deadline < b.deadline || (a.deadline === b.deadline && a.order < b.order);
  }

  private push(entry: EdfEntry<T>): void {
    this.heap.push(entry);
    this.siftUp(this.heap.length - 1);
  }

  private pop(): EdfEntry<T> | undefined {
    const heap = this.heap;
    const top = heap[0];
    if (top === undefined) return undefined;
    const last = heap.pop() as EdfEntry<T>;
    if (heap.length > 0) {
      heap[0] = last;
      this.siftDown(0);
    }
    return top;
  }

  private heapify(): void {
    for (let i = (this.heap.length >> 1) - 1; i >= 0; i--) this.siftDown(i);
  }

  private siftUp(index: number): void {
    const heap = this.heap;
    let i = index;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const child = heap[i] as EdfEntry<T>;
      const up = heap[parent] as EdfEntry<T>;
      if (!EdfScheduler.before(child, up)) break;
      heap[i] = up;
      heap[parent] = child;
      i = parent;
    }
  }

  private siftDown(index: number): void {
    const heap = this.heap;
    let i = index;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (
        left < heap.length &&
        EdfScheduler.before(heap[left] as EdfEntry<T>, heap[smallest] as EdfEntry<T>)
      ) {
        smallest = left;
      }
      if (
        right < heap.length &&
        EdfScheduler.before(heap[right] as EdfEntry<T>, heap[smallest] as EdfEntry<T>)
      ) {
        smallest = right;
      }
      if (smallest === i) return;
      const tmp = heap[i] as EdfEntry<T>;
      heap[i] = heap[smallest] as EdfEntry<T>;
      heap[smallest] = tmp;
      i = smallest;
    }
  }
}
