/**
 * Clock on Moddable `time`. Wall time counts as known only after SNTP has answered, except in the
 * lin host build (`host_clock`), whose clock is the test machine's and is set from the start.
 */
import SNTP from 'sntp';
import Time from 'time';
import type { Clock, Logger } from '../types';
import { reportFault } from './guard';

/** Before SNTP the board clock starts near 1970; anything earlier than this is not a real time. */
const EARLIEST_PLAUSIBLE = 1700000000;

export class ModdableClock implements Clock {
  private synced: boolean;
  private asking = false;

  constructor(hostClock: boolean) {
    this.synced = hostClock;
  }

  uptimeMs(): number {
    return Time.ticks;
  }

  nowSeconds(): number | undefined {
    if (!this.synced) return undefined;
    const seconds = Math.floor(Date.now() / 1000);
    return seconds >= EARLIEST_PLAUSIBLE ? seconds : undefined;
  }

  /** One request at a time; after a failure the next got-IP asks again. */
  startSntp(host: string, logger: Logger): void {
    if (this.synced || this.asking || !host) return;
    this.asking = true;
    try {
      new SNTP({ host }, (message: number, value?: unknown) => {
        try {
          if (message === SNTP.time && typeof value === 'number') {
            Time.set(value);
            this.synced = true;
            logger.log('info', 'clock set by SNTP');
          } else if (message === SNTP.error) {
            this.asking = false;
            logger.log('warn', 'SNTP failed; timestamps are not checked until the clock is set');
          }
        } catch (error) {
          reportFault('sntp callback', error);
        }
      });
    } catch (error) {
      this.asking = false;
      logger.log('warn', `SNTP could not start: ${String(error)}`);
    }
  }
}
