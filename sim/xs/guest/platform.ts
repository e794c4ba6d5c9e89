/** The whole platform seam inside XS, bridged to the host; crypto is the plain-TypeScript reference. */
import type { Network, Platform, ProbeState, TcpProber, TimerHandle, Timers } from '../../../firmware/platform/types';
import { createReferenceCrypto, fromHex } from '../../../shared/index';
import type { ClockReading, HostEvent, NetInfo } from '../protocol';
import { callHost, describe } from './channel';
import { Registry } from './registry';
import { GuestSockets } from './sockets';

export interface GuestPlatform {
  platform: Platform;
  /** Routes one host event to the adapter it belongs to; false if the event is not a platform event. */
  dispatch(event: HostEvent): boolean;
}

function report(what: string, error: unknown): void {
  callHost({ op: 'log', level: 'error', message: `platform: ${what} callback threw ${describe(error)}` });
}

function createTimers(): { timers: Timers; fire(id: number): void } {
  const callbacks = new Registry<{ callback: () => void; repeat: boolean }>();
  const start = (callback: () => void, ms: number, repeat: boolean): TimerHandle => {
    const timer = callbacks.add({ callback, repeat });
    callHost({ op: 'timer.set', timer, ms: Number.isFinite(ms) && ms > 0 ? ms : 0, repeat });
    return timer;
  };
  const clear = (handle: TimerHandle): void => {
    if (typeof handle === 'number' && callbacks.delete(handle)) callHost({ op: 'timer.clear', timer: handle });
  };
  return {
    timers: {
      setTimeout: (callback, ms) => start(callback, ms, false),
      clearTimeout: clear,
      setInterval: (callback, ms) => start(callback, ms, true),
      clearInterval: clear,
    },
    fire(id) {
      const entry = callbacks.get(id);
      if (entry === undefined) return;
      if (!entry.repeat) callbacks.delete(id);
      try {
        entry.callback();
      } catch (error) {
        report('timer', error);
      }
    },
  };
}

type NetCallback = { once: boolean; run: (value: { ok?: boolean; ip?: string }) => void };

function createNetwork(callbacks: Registry<NetCallback>): Network {
  const info = (): NetInfo => callHost({ op: 'net.info' }) as NetInfo;
  return {
    ip: () => info().ip,
    ssid: () => info().ssid,
    rssi: () => info().rssi,
    mode: () => info().mode,
    chipId: () => info().chipId,
    freeHeap: () => info().freeHeap,
    connectStation(ssid, password, done) {
      const callback = callbacks.add({ once: true, run: (value) => done(value.ok === true) });
      callHost({ op: 'net.connectStation', callback, ssid, password });
    },
    startAccessPoint(ssid, password, done) {
      const callback = callbacks.add({ once: true, run: (value) => done(value.ip ?? '') });
      callHost({ op: 'net.startAccessPoint', callback, ssid, password });
    },
    onStationLost(lost) {
      const callback = callbacks.add({ once: false, run: () => lost() });
      callHost({ op: 'net.onStationLost', callback });
    },
  };
}

function createProber(): { prober: TcpProber; settle(id: number, state: ProbeState): void } {
  const waiting = new Registry<(state: ProbeState) => void>();
  return {
    prober: {
      probe(host, port, timeoutMs, done) {
        const probe = waiting.add(done);
        callHost({ op: 'probe.start', probe, host, port, timeoutMs });
        return {
          cancel() {
            if (waiting.delete(probe)) callHost({ op: 'probe.cancel', probe });
          },
        };
      },
    },
    settle(id, state) {
      const done = waiting.get(id);
      if (done === undefined) return;
      waiting.delete(id);
      try {
        done(state);
      } catch (error) {
        report('probe', error);
      }
    },
  };
}

export function createGuestPlatform(): GuestPlatform {
  const sockets = new GuestSockets(report);
  const { timers, fire } = createTimers();
  const { prober, settle } = createProber();
  const netCallbacks = new Registry<NetCallback>();
  const randomBytes = (length: number): Uint8Array => fromHex(callHost({ op: 'random', length }) as string);
  const platform: Platform = {
    tcp: sockets.tcp,
    udp: sockets.udp,
    probe: prober,
    websocket: sockets.websocket,
    timers,
    store: {
      get: (key) => callHost({ op: 'store.get', key }) as string | undefined,
      set: (key, value) => void callHost({ op: 'store.set', key, value }),
      delete: (key) => void callHost({ op: 'store.delete', key }),
    },
    network: createNetwork(netCallbacks),
    clock: {
      uptimeMs: () => (callHost({ op: 'clock' }) as ClockReading).uptimeMs,
      nowSeconds: () => (callHost({ op: 'clock' }) as ClockReading).nowSeconds,
    },
    random: { bytes: randomBytes },
    system: { restart: () => void callHost({ op: 'system.restart' }) },
    logger: { log: (level, message) => void callHost({ op: 'log', level, message: String(message) }) },
    crypto: createReferenceCrypto(randomBytes),
  };
  return {
    platform,
    dispatch(event) {
      if (sockets.dispatch(event)) return true;
      if (event.ev === 'timer') {
        fire(event.timer);
        return true;
      }
      if (event.ev === 'probe.done') {
        settle(event.probe, event.state);
        return true;
      }
      if (event.ev === 'net.callback') {
        const callback = netCallbacks.get(event.callback);
        // connectStation / startAccessPoint answer once; onStationLost may fire again.
        if (callback) {
          if (callback.once) netCallbacks.delete(event.callback);
          try {
            callback.run(event);
          } catch (error) {
            report('network', error);
          }
        }
        return true;
      }
      return false;
    },
  };
}
