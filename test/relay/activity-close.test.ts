import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { createSqliteStore } from '../../server/store/sqlite-store';
import { tempDir } from './helpers/relay';

const dir = tempDir('wl-activity-close-');
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => {
  vi.useRealTimers();
});

describe('activity buffer after the store is closed (F9 bookkeeping)', () => {
  it('a device frame after close() schedules no flush timer, so nothing retries forever', async () => {
    vi.useFakeTimers();
    const store = createSqliteStore(join(dir, 'relay.db'));
    await store.close();
    expect(vi.getTimerCount()).toBe(0);
    // A reply that arrives during shutdown, after the database closed.
    store.touchDevice('WLC105ED1', Date.now(), 7);
    store.addPolls('WLC105ED1', 1);
    for (let i = 0; i < 5; i++) vi.advanceTimersByTime(1_000);
    expect(vi.getTimerCount()).toBe(0);
  });
});
