import { describe, expect, it } from 'vitest';
import { runInXs } from '../../node/xs/run';
import { runSharedSuite, type SuiteOutput } from '../xs/shared-suite';
import { expectSuiteMatchesSpec } from './suite-expectations';

// The protocol core bundled by esbuild and evaluated by a real XS engine (@agoric/xsnap, built
// from source at npm install). No skip path: if XS cannot run, this test fails.
describe('shared/ on the XS engine', () => {
  it('computes every vector, golden packet and error code exactly as Node does', async () => {
    const run = await runInXs(new URL('../xs/shared-suite.entry.ts', import.meta.url).pathname);
    expect(run.messages).toHaveLength(1);
    const onXs = run.messages[0] as SuiteOutput;
    expectSuiteMatchesSpec(onXs);
    expect(onXs).toEqual(JSON.parse(JSON.stringify(runSharedSuite())));
    expect(run.compute).toBeGreaterThan(0);
  });

  it('reports an exception thrown inside XS as a failure', async () => {
    await expect(runInXs(new URL('../xs/throws.entry.ts', import.meta.url).pathname)).rejects.toThrow(/XS run failed/);
  });
});

describe('shared/ on Node (same suite)', () => {
  it('matches the published vectors and golden packets', () => {
    expectSuiteMatchesSpec(runSharedSuite());
  });
});
