/** `npm run sim -- …`: one simulated WakeLink device on this machine (see sim/args.ts for options). */
import { parseSimArgs, USAGE, type SimArgs } from './args';
import { REAL_FIRMWARE } from './firmware';
import { Simulator } from './simulator';

async function main(): Promise<void> {
  let args: SimArgs;
  try {
    args = parseSimArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`wakelink sim: ${(error as Error).message}\n`);
    process.exit(2);
  }
  if (args.help) {
    process.stdout.write(USAGE + '\n');
    return;
  }
  const sim = await Simulator.start({
    firmware: REAL_FIRMWARE,
    engine: args.engine,
    profile: args.profile,
    deviceId: args.deviceId,
    token: args.token,
    relayUrl: args.relayUrl,
    apiToken: args.apiToken,
    lanPort: args.lanPort,
    httpPort: args.httpPort,
    wol: args.wol,
    stateDir: args.stateDir,
  });
  if (args.relayUrl === undefined) sim.console.line('sim', 'no --relay: cloud link off (LAN only)');
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    sim.console.line('sim', `${signal}: stopping`);
    sim.stop().then(() => process.exit(0), (error: Error) => {
      process.stderr.write(`wakelink sim: stop failed: ${error.message}\n`);
      process.exit(1);
    });
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => {
  process.stderr.write(`wakelink sim: ${(error as Error).message}\n`);
  process.exit(1);
});
