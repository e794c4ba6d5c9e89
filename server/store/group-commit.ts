/**
 * Group commit: writes submitted during the same event-loop turn are committed together in one
 * transaction, so N concurrent `queued` ACKs cost one fsync instead of N. Each caller's promise
 * settles only after that transaction has committed.
 */
export class GroupCommitter<Item, Result> {
  private pending: { item: Item; resolve: (result: Result) => void }[] = [];
  private scheduled: NodeJS.Immediate | null = null;
  /** Transactions committed so far (for the benchmark and tests). */
  batches = 0;

  constructor(
    /** Commits all items in one transaction and returns one result per item, in order. */
    private readonly commitBatch: (items: Item[]) => Result[],
    /** Result for every item of a batch whose transaction failed (e.g. SQLITE_FULL). */
    private readonly onBatchFailure: (error: unknown, items: Item[]) => Result,
  ) {}

  submit(item: Item): Promise<Result> {
    return new Promise<Result>((resolve) => {
      this.pending.push({ item, resolve });
      this.scheduled ??= setImmediate(() => this.flush());
    });
  }

  /** Commits whatever is pending now (also used at shutdown so no accepted write is dropped). */
  flush(): void {
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = null;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    const items = batch.map((entry) => entry.item);
    let results: Result[];
    try {
      results = this.commitBatch(items);
      this.batches += 1;
    } catch (error) {
      const failure = this.onBatchFailure(error, items);
      results = items.map(() => failure);
    }
    batch.forEach((entry, index) => entry.resolve(results[index]!));
  }
}
