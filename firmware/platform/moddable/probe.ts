/**
 * Probes on Moddable `socket`: a TCP connect to a target, closed at once. Connected counts as up;
 * an error before the timeout is a refusal from a running host, also up (lwIP reports a reset that
 * way; the lin socket reports a refused connect as connected); silence until the timeout, down.
 */
import { Socket } from 'socket';
import type { Probe, ProbeState, TcpProber, TimerHandle, Timers } from '../types';
import { reportFault } from './guard';

const MSG_CONNECTED = 1;

class ModdableProbe implements Probe {
  private socket: InstanceType<typeof Socket> | null = null;
  private readonly timer: TimerHandle;
  private settled = false;
  /** The socket has answered; its settlement waits for the next timer turn. */
  private answered = false;

  constructor(private readonly timers: Timers, host: string, port: number, timeoutMs: number, private readonly done: (state: ProbeState) => void) {
    this.timer = timers.setTimeout(() => this.settle('down'), timeoutMs);
    try {
      const socket = new Socket({ host, port });
      // The answer is acted on from a timer turn, never inside the socket's own callback: closing
      // the socket there (and the event a settled wake publishes, whose allocations run the GC)
      // lets the collector free the socket while the SDK's lin `socketConnected` still writes to
      // it (a use-after-free valgrind shows; a SIGSEGV on the real build). Until then
      // `this.socket` keeps it alive.
      socket.callback = (message: number) => {
        if (this.settled || this.answered) return;
        this.answered = true;
        // The host answered: a timeout due before the next turn must not report it down.
        this.timers.clearTimeout(this.timer);
        const state: ProbeState = message === MSG_CONNECTED || message < 0 ? 'up' : 'down';
        this.timers.setTimeout(() => {
          try {
            this.settle(state);
          } catch (error) {
            reportFault('probe callback', error);
          }
        }, 0);
      };
      this.socket = socket;
    } catch (error) {
      // No route, bad name: nothing answers.
      reportFault('probe', error);
      this.timers.clearTimeout(this.timer);
      this.timers.setTimeout(() => this.settle('down'), 0);
    }
  }

  cancel(): void {
    this.finish();
  }

  private settle(state: ProbeState): void {
    if (this.settled) return;
    this.finish();
    this.done(state);
  }

  private finish(): void {
    if (this.settled) return;
    this.settled = true;
    this.timers.clearTimeout(this.timer);
    const socket = this.socket;
    this.socket = null;
    try {
      socket?.close();
    } catch {
      // already gone
    }
  }
}

export class ModdableProber implements TcpProber {
  constructor(private readonly timers: Timers) {}

  probe(host: string, port: number, timeoutMs: number, done: (state: ProbeState) => void): Probe {
    return new ModdableProbe(this.timers, host, port, timeoutMs, done);
  }
}
