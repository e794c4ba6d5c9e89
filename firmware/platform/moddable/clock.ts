/**
 * Clock on Moddable `time`. Wall time counts as known only after SNTP has answered, except in the
 * lin host build (`host_clock`), whose clock is the test machine's and is set from the start.
 */
import SNTP from 'sntp';
import Time from 'time';
import type { Clock, Logger } from '../types';
import { guard } from './guard';

/** Before SNTP the board clock starts near 1970; anything earlier than this is not a real time. */
const EARLIEST_PLAUSIBLE = 1700000000;

export function createModdableClock(hostClock: boolean): Clock & { startSntp(host: string, logger: Logger): void } {
  let synced = hostClock;
  let asked = false;
  return {
    uptimeMs: () => Time.ticks,
    nowSeconds() {
      if (!synced) return undefined;
      const seconds = Math.floor(Date.now() / 1000);
      return seconds >= EARLIEST_PLAUSIBLE ? seconds : undefined;
    },
    startSntp(host, logger) {
      if (synced || asked || !host) return;
      asked = true;
      try {
        new SNTP({ host }, guard('sntp callback', (message: number, value?: unknown) => {
          if (message === SNTP.time && typeof value === 'number') {
            Time.set(value);
            synced = true;
            logger.log('info', 'clock set by SNTP');
          } else if (message === SNTP.error) {
            asked = false;
            logger.log('warn', 'SNTP failed; timestamps are not checked until the clock is set');
          }
        }));
      } catch (error) {
        asked = false;
        logger.log('warn', `SNTP could not start: ${String(error)}`);
      }
    },
  };
}
