/**
 * Waiting for a state to be reached (initialization phases, warming done): `waitFor(test)` resolves
 * once `test()` holds, checked now and on every `changed()`.
 */
export class StateCondition {
  private waiters: Array<{ readonly test: () => boolean; readonly resolve: () => void }> = [];

  waitFor(test: () => boolean): Promise<void> {
    if (test()) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ test, resolve }));
  }

  changed(): void {
    const ready = this.waiters.filter((w) => w.test());
    if (ready.length === 0) return;
    this.waiters = this.waiters.filter((w) => !ready.includes(w));
    for (const w of ready) w.resolve();
  }
}
