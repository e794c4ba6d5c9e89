/** Numbered objects the host refers to in its events; an event for a forgotten id is dropped. */
export class Registry<T> {
  private next = 1;
  private readonly items = new Map<number, T>();

  add(item: T): number {
    const id = this.next++;
    this.items.set(id, item);
    return id;
  }

  set(id: number, item: T): void {
    this.items.set(id, item);
  }

  get(id: number): T | undefined {
    return this.items.get(id);
  }

  delete(id: number): boolean {
    return this.items.delete(id);
  }
}
