/** The device's targets, schedules, probes and wake confirmation, wired to its platform. */
import { parseMac, parseSecureOn, type JsonObject, type Target } from '../../shared/index';
import type { TargetService } from '../commands/context';
import type { ProfileLimits } from '../constants';
import type { Platform } from '../platform/types';
import { sendMagicPacket, type WolTarget } from '../wol-sender';
import { ProbeQueue } from './probe-queue';
import { Scheduler } from './scheduler';
import { ScheduleStore } from './schedule-store';
import { TargetStore } from './target-store';
import { WakeWatcher, type WatcherDeps } from './watcher';

/** Where events go: the device seals them and hands them to its cloud link. */
export interface EventSink {
  publishEvent(event: JsonObject): void;
}

/** Also the watcher's and the scheduler's deps, as methods (no closures: RAM, see device.ts). */
export class DeviceTargets implements TargetService, WatcherDeps {
  readonly store: TargetStore;
  readonly schedules: ScheduleStore;
  readonly probes: ProbeQueue;
  readonly watcher: WakeWatcher;
  readonly timers: Platform['timers'];
  readonly clock: Platform['clock'];
  readonly maxWatches: number;
  private readonly scheduler: Scheduler;

  constructor(private readonly platform: Platform, limits: ProfileLimits, private readonly wol: WolTarget, private readonly events: EventSink) {
    const { store, timers, clock, logger } = platform;
    this.timers = timers;
    this.clock = clock;
    this.maxWatches = limits.maxWatches;
    this.store = new TargetStore(store, limits.maxTargets);
    this.schedules = new ScheduleStore(store, limits.maxSchedules);
    this.probes = new ProbeQueue(platform.probe, timers, clock, limits.maxProbes);
    this.watcher = new WakeWatcher(this);
    this.scheduler = new Scheduler(this.schedules, timers, clock, logger, this);
  }

  resend(target: Target): void {
    try {
      this.wakeTarget(target);
    } catch (error) {
      this.platform.logger.log('warn', `wake ${target.name}: re-send failed: ${String(error)}`);
    }
  }

  publish(event: JsonObject): void {
    this.events.publishEvent(event);
  }

  wakeTarget(target: Target): void {
    const secureOn = target.secureOn ? parseSecureOn(target.secureOn) : undefined;
    const to: WolTarget = target.broadcast ? { address: target.broadcast, port: this.wol.port, localPort: this.wol.localPort } : this.wol;
    sendMagicPacket(this.platform.udp, to, parseMac(target.mac), secureOn);
  }

  clockSet(): boolean {
    return this.platform.clock.nowSeconds() !== undefined;
  }

  start(): void {
    this.scheduler.start();
  }

  stop(): void {
    this.scheduler.stop();
    this.watcher.stop();
    this.probes.clear();
  }

  /** Factory reset. */
  erase(): void {
    this.store.erase();
    this.schedules.erase();
  }

  scheduledWake(name: string, id: number): boolean {
    const target = this.store.get(name);
    if (!target) return false;
    this.platform.logger.log('info', `schedule ${id}: waking ${name}`);
    try {
      this.wakeTarget(target);
    } catch (error) {
      this.platform.logger.log('warn', `schedule ${id}: wake of ${name} failed: ${String(error)}`);
      return true;
    }
    this.watcher.watch(target, 'schedule');
    return true;
  }
}
