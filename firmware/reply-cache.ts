/**
 * Catalogue F4: the relay re-sends a command after the device reconnects (at-least-once), so a
 * command that already ran can arrive again byte for byte. The device answers such a duplicate
 * with the sealed reply it already sent, without acting or counting again. Entries are keyed by
 * the packet's 12-byte nonce and its verified signature (which covers the exact payload text),
 * so only a byte-identical packet matches; anything else goes through the freshness guard.
 * Memory stays small: a few recent replies, the oldest dropped first.
 */
interface CachedReply {
  nonce: string;
  signature: string;
  reply: string;
}

export class ReplyCache {
  private readonly entries: CachedReply[] = [];

  constructor(readonly capacity: number) {}

  /** The reply already sent for this exact packet, if it is still remembered. */
  find(nonce: string, signature: string): string | undefined {
    for (const entry of this.entries) {
      if (entry.nonce === nonce && entry.signature === signature) return entry.reply;
    }
    return undefined;
  }

  remember(nonce: string, signature: string, reply: string): void {
    if (this.capacity < 1) return;
    this.entries.push({ nonce, signature, reply });
    while (this.entries.length > this.capacity) this.entries.shift();
  }

  get size(): number {
    return this.entries.length;
  }
}
