interface Link<T> {
  item: T;
  prev: Link<T> | undefined;
  next: Link<T> | undefined;
}

/**
 * A set of objects kept as a doubly linked list whose links hang on the objects themselves: for a set that every
 * request enters and leaves. Not a `Set`: under that churn a `Set` keeps each request's objects alive past their
 * request (V8 links a `Set`'s outgrown tables to their successors), so that young-generation collections copy and
 * promote them. A removed object keeps no link to any other.
 */
export class LinkedSet<T extends object> {
  private readonly key = Symbol('LinkedSet');
  private head: Link<T> | undefined;
  private count = 0;

  get size(): number {
    return this.count;
  }

  has(item: T): boolean {
    return this.linkOf(item) !== undefined;
  }

  add(item: T): void {
    if (this.has(item)) return;
    const link: Link<T> = { item, prev: undefined, next: this.head };
    if (this.head) this.head.prev = link;
    this.head = link;
    this.count++;
    (item as Record<symbol, Link<T> | undefined>)[this.key] = link;
  }

  delete(item: T): boolean {
    const link = this.linkOf(item);
    if (!link) return false;
    if (link.prev) link.prev.next = link.next;
    else this.head = link.next;
    if (link.next) link.next.prev = link.prev;
    link.prev = link.next = undefined;
    (item as Record<symbol, Link<T> | undefined>)[this.key] = undefined;
    this.count--;
    return true;
  }

  /** Empties the set and returns what it held, newest first. */
  takeAll(): T[] {
    const items: T[] = [];
    while (this.head) {
      const { item } = this.head;
      items.push(item);
      this.delete(item);
    }
    return items;
  }

  private linkOf(item: T): Link<T> | undefined {
    const link = (item as Record<symbol, Link<T> | undefined>)[this.key];
    // a copy of a member (`{ ...member }`) carries the member's link: not a member itself
    return link?.item === item ? link : undefined;
  }
}
