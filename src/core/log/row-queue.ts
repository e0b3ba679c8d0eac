/**
 * The request log's waiting rows, oldest first. Taking or dropping from the front moves an index, and
 * the array is compacted once the taken part is at least half of it, so each row costs O(1) amortised
 * however long the queue: a request log that has fallen behind (its database down or slow) must not make
 * every request pay a shift of the whole queue (`splice(0, 1)` on 100,000 rows cost more than the
 * request itself).
 * Invariant: the rows are `items[head..]`, in the order they were pushed (or put back).
 */
export class RowQueue<T> {
  private items: T[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  /** Removes and returns the oldest `n` (fewer if fewer wait). */
  take(n: number): T[] {
    const out = this.items.slice(this.head, this.head + n);
    this.head += out.length;
    this.compact();
    return out;
  }

  /** Forgets the oldest `n`. */
  drop(n: number): void {
    this.head = Math.min(this.items.length, this.head + n);
    this.compact();
  }

  /** Puts `rows` back in front, in their order (a batch whose write failed). */
  putBack(rows: T[]): void {
    this.items = rows.concat(this.items.slice(this.head));
    this.head = 0;
  }

  private compact(): void {
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}
