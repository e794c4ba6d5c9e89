/**
 * The XS harness freezes what a Moddable image freezes (node/xs/freeze.ts), so the faults that
 * aborted the real board fail CI without the SDK: an Error subclass assigning `this.name`, or code
 * changing a preloaded module's export. Each case also runs unfrozen, to show the freeze is what
 * catches it.
 */
import { describe, expect, it } from 'vitest';
import { runInXs } from '../../node/xs/run';

const ENTRY = new URL('../xs/error-name.entry.ts', import.meta.url).pathname;
const run = (benchCase: string, freeze?: boolean) => runInXs(ENTRY, { define: { BENCH_CASE: JSON.stringify(benchCase) }, ...(freeze === undefined ? {} : { freeze }) });

describe('XS harness with frozen intrinsics and module exports', () => {
  it('fails on `this.name = ...` in an Error subclass, as the board does ("set name: not writable")', async () => {
    await expect(run('assign')).rejects.toThrow(/set name: not writable/);
    expect((await run('assign', false)).messages).toEqual(['AssignsName']);
  });

  it("fails when code changes a preloaded module's export", async () => {
    await expect(run('export')).rejects.toThrow(/XS run failed/);
    expect((await run('export', false)).messages).toEqual([99]);
  });

  it("names shared/'s errors through their prototypes, which works frozen", async () => {
    const { messages } = await run('names');
    expect(messages).toEqual([['ProtocolError', 'BAD_PACKET', 'CommandError', 'UNKNOWN_COMMAND', true, 'CommandError: UNKNOWN_COMMAND']]);
  });
});
