/**
 * Runs the wake schedules: once the clock is known (SNTP on a board), every SCHEDULE_CHECK_MS it
 * looks at the local minute of each schedule (UTC plus the schedule's offset) and, in the minute a
 * schedule names on one of its days, wakes its target once. A schedule whose minute passed while
 * the board was off or its clock unknown is not made up for: a wake hours late is no wake at all.
 */
import { SCHEDULE_CHECK_MS } from '../constants';
import type { Clock, Logger, Timers, TimerHandle } from '../platform/types';
import type { ScheduleStore } from './schedule-store';

export class Scheduler {
  private timer: TimerHandle | null = null;

  constructor(
    private readonly schedules: ScheduleStore,
    private readonly timers: Timers,
    private readonly clock: Clock,
    private readonly logger: Logger,
    /** Wakes the target by name (and watches it); false when it is not stored. */
    private readonly waker: { scheduledWake(target: string, scheduleId: number): boolean },
  ) {}

  start(): void {
    if (this.timer !== null) return;
    this.timer = this.timers.setInterval(() => this.check(), SCHEDULE_CHECK_MS);
  }

  stop(): void {
    if (this.timer !== null) this.timers.clearInterval(this.timer);
    this.timer = null;
  }

  /** One pass; public so a test (or a fresh schedule) can run it at once. */
  check(): void {
    const now = this.clock.nowSeconds();
    if (now === undefined) return;
    const unixMinute = Math.floor(now / 60);
    for (const schedule of this.schedules.list()) {
      const local = unixMinute + schedule.utcOffset;
      const minuteOfDay = ((local % 1440) + 1440) % 1440;
      // 1970-01-01 was a Thursday (day 4).
      const weekday = (((Math.floor(local / 1440) + 4) % 7) + 7) % 7;
      if (minuteOfDay !== schedule.minute || !(schedule.days & (1 << weekday))) continue;
      if (this.schedules.lastRun(schedule.id) === unixMinute) continue;
      this.schedules.markRun(schedule.id, unixMinute);
      if (!this.waker.scheduledWake(schedule.target, schedule.id)) this.logger.log('warn', `schedule ${schedule.id}: no target "${schedule.target}"`);
    }
  }
}
