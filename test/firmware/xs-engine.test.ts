/** The device logic (not the Moddable adapters) on a real XS engine, compared with Node. */
import { describe, expect, it } from 'vitest';
import { LOGIN_GLOBAL_MAX_FAILURES } from '../../firmware/constants';
import { runInXs } from '../../node/xs/run';
import { GOLDEN } from '../vectors/crypto-vectors';
import { runDeviceScenario, type ScenarioOutput } from './xs/scenario';

describe('firmware logic on the XS engine', () => {
  it('produces the same transcript on XS as on Node, including the golden reply', async () => {
    const onNode = runDeviceScenario();
    expect(JSON.parse(onNode.goldenReply)).toMatchObject({ device_id: GOLDEN.deviceId, request_counter: 1, version: '1.0' });
    expect(onNode.inner[0]).toEqual({ status: 'success', result: 'pong', request_id: 'req0' });
    expect(onNode.inner[2]).toEqual({ status: 'error', error: 'INVALID_MAC_ADDRESS', request_id: 'req2' });
    expect(onNode.udpPackets).toBe(1);
    expect(onNode.counterAfterReboot).toBeGreaterThan(9);
    expect(onNode.firstBootTokenLength).toBe(96);
    // Issue 12 items 7 and 8, so they are checked on XS as well.
    expect(onNode.withoutTimestamp).toEqual([
      { status: 'error', error: 'TIMESTAMP_REQUIRED', request_id: 'nots1' },
      { status: 'success', result: 'pong', request_id: 'nots2' },
    ]);
    expect(onNode.setupLogins.filter((status) => status === 403)).toHaveLength(LOGIN_GLOBAL_MAX_FAILURES);
    expect(onNode.setupLogins.slice(LOGIN_GLOBAL_MAX_FAILURES)).toEqual(Array(9 * 5 + 1 - LOGIN_GLOBAL_MAX_FAILURES).fill(429));

    const run = await runInXs(new URL('./xs/device-suite.entry.ts', import.meta.url).pathname);
    expect(run.messages).toHaveLength(1);
    const onXs = run.messages[0] as ScenarioOutput;
    expect(onXs).toEqual(JSON.parse(JSON.stringify(onNode)));
  });
});
