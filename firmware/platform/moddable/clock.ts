/** Clock on Moddable `time`; wall time counts as known only after SNTP has answered. */
import SNTP from 'sntp';
import Time from 'time';
import type { Clock, Logger } from '../types';

/** Before SNTP the board clock starts near 1970; anything earlier than this is not a real time. */
const EARLIEST_PLAUSIBLE = 1700000000;

export function createModdableClock(): Clock & { startSntp(host: string, logger: Logger): void } {
  let synced = false;
  return {
    uptimeMs: () => Time.ticks,
    nowSeconds() {
      if (!synced) return undefined;
      const seconds = Math.floor(Date.now() / 1000);
      return seconds >= EARLIEST_PLAUSIBLE ? seconds : undefined;
    },
    startSntp(host, logger) {
      if (synced || !host) return;
      new SNTP({ host }, (message, value) => {
        if (message === SNTP.time && typeof value === 'number') {
          Time.set(value);
          synced = true;
          logger.log('info', 'clock set by SNTP');
        } else if (message === SNTP.error) {
          logger.log('warn', 'SNTP failed; timestamps are not checked until the clock is set');
        }
      });
    },
  };
}
