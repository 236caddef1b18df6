/**
 * The best `k` items of a stream by score, best first: a sorted array that only takes an item that
 * beats its worst. For k = 100 over 100,000 scores this is a few thousand inserts, not a full sort.
 */
export class TopK<T> {
  readonly items: T[] = [];
  readonly scores: number[] = [];

  constructor(private readonly k: number) {}

  /** Whether an item with this score would be kept (lets callers skip building the item). */
  wants(score: number): boolean {
    return this.scores.length < this.k || score > this.scores[this.scores.length - 1];
  }

  /** Offers an item; ties keep the earlier one first. */
  offer(item: T, score: number): void {
    if (!this.wants(score)) return;
    let at = this.scores.length;
    while (at > 0 && this.scores[at - 1] < score) at--;
    this.scores.splice(at, 0, score);
    this.items.splice(at, 0, item);
    if (this.scores.length > this.k) {
      this.scores.pop();
      this.items.pop();
    }
  }
}
