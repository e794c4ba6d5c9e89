// Evaluated inside XS by test/firmware/frozen-intrinsics.test.ts: the Error-subclass pattern that
// aborted the real board (`this.name = ...` against the frozen Error.prototype), next to the one
// shared/ uses, and an attempt to change a preloaded module's export.
import { CommandError, ErrorCodes, ProtocolError } from '../../shared/index';
import { LineServer } from '../../firmware/lan/line-server';
import { report } from './report';

declare const BENCH_CASE: string;

class AssignsName extends Error {
  constructor() {
    super('assigned');
    this.name = 'AssignsName';
  }
}

if (BENCH_CASE === 'assign') report(new AssignsName().name);
else if (BENCH_CASE === 'export') {
  // A class a board preloads: its prototype is hardened with it.
  (LineServer.prototype as unknown as { patched: number }).patched = 99;
  report((LineServer.prototype as unknown as { patched: number }).patched);
} else {
  const protocol = new ProtocolError(ErrorCodes.BAD_PACKET);
  const command = new CommandError(ErrorCodes.UNKNOWN_COMMAND, 'r1', { command: 'x' });
  report([protocol.name, protocol.code, command.name, command.code, command instanceof ProtocolError, String(command)]);
}
