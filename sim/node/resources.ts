/**
 * Everything one boot of the device opened (sockets, listeners, timers). A simulated reboot closes
 * whatever the logic left open, the way a real reset wipes the chip, before the next boot starts.
 */
export class BootResources {
  private readonly open = new Set<() => void>();

  /** Registers a closer; returns a function that unregisters it (call when the resource closes itself). */
  track(close: () => void): () => void {
    this.open.add(close);
    return () => this.open.delete(close);
  }

  get count(): number {
    return this.open.size;
  }

  closeAll(): void {
    const closers = [...this.open];
    this.open.clear();
    for (const close of closers) {
      try {
        close();
      } catch {
        // A reset cannot fail: whatever refuses to close is dropped with the boot.
      }
    }
  }
}

/** Runs a logic callback; a throw is logged instead of escaping into Node's event loop. */
export function guarded(onError: (error: unknown) => void, callback: () => void): void {
  try {
    callback();
  } catch (error) {
    onError(error);
  }
}
