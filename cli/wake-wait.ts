/**
 * `wakelink wake <device> <target> --wait`: the board watches the target come up after its magic
 * packet (issue 16); this asks it how that goes (`wake_result`) every 2 s, on any transport, and
 * shows the progress. Exit 0 once the target answers, 8 (NOT_WOKEN) when its wait ran out.
 */
import { TARGET_WAIT_MAX, type JsonObject } from '../shared/index';
import type { CommandResult, Context } from './context';
import type { WireRequest } from './device-commands';
import { exchangeWithDevice } from './device-run';
import { CliError, usageError } from './errors';

const POLL_MS = 2000;
/** The board ends every watch within its target's wait (at most TARGET_WAIT_MAX s); this is the CLI's own bound. */
const GIVE_UP_MS = (TARGET_WAIT_MAX + 30) * 1000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export async function waitForWake(ctx: Context, name: string, wire: WireRequest): Promise<CommandResult> {
  const target = wire.data.target;
  if (typeof target !== 'string') throw usageError('--wait needs the name of a stored target (the board knows its address), not a MAC');
  const woke = await exchangeWithDevice(ctx, name, 'wake', wire.data);
  if (woke.inner.watching !== true) {
    throw new CliError('DEVICE_ERROR', `${name} sent the magic packet to ${target} but cannot check it: the target has no address (wakelink targets ${name} set ${target} --host ...), or the board is already watching as many wakes as it can`, { ...woke.summary, response: woke.inner });
  }
  const started = Date.now();
  let last: JsonObject = {};
  while (Date.now() - started < GIVE_UP_MS) {
    await sleep(POLL_MS);
    last = (await exchangeWithDevice(ctx, name, 'wake_result', { name: target })).inner;
    if (last.state !== 'waiting') break;
    if (!ctx.flags.json) ctx.stderr.write(`  ${target}: no answer yet after ${Math.round(Number(last.elapsed_ms) / 1000)} s\n`);
  }
  const seconds = (Number(last.after_ms) / 1000).toFixed(1);
  if (last.state === 'up') {
    return {
      json: { ok: true, ...woke.summary, response: woke.inner, result: last },
      lines: [`wake ${name} → ${target} (${woke.inner.mac}): up after ${seconds} s`],
    };
  }
  const why = last.state === 'timeout' ? `did not answer within its wait (${seconds} s)` : `has no wake in progress (${String(last.state)})`;
  throw new CliError('NOT_WOKEN', `${target} ${why}`, { ...woke.summary, result: last });
}
