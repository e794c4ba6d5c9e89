import type { Progress } from './transport/types';

/** Redraw period of the waiting indicator. */
export const SPINNER_INTERVAL_MS = 120;
const FRAMES = ['|', '/', '-', '\\'];

interface TtyStream {
  write(text: string): unknown;
  isTTY?: boolean;
}

/** A spinner with elapsed seconds on stderr, only when a person is watching (a TTY) and not in --json mode. */
export function createProgress(stream: TtyStream, enabled: boolean): Progress {
  if (!enabled || !stream.isTTY) return { start: () => undefined, stop: () => undefined };
  let timer: NodeJS.Timeout | undefined;
  return {
    start(message: string) {
      if (timer) return;
      const started = Date.now();
      let frame = 0;
      timer = setInterval(() => {
        const seconds = Math.floor((Date.now() - started) / 1000);
        stream.write(`\r${FRAMES[frame++ % FRAMES.length]} ${message} (${seconds}s)\x1b[K`);
      }, SPINNER_INTERVAL_MS);
      timer.unref();
    },
    stop() {
      if (!timer) return;
      clearInterval(timer);
      timer = undefined;
      stream.write('\r\x1b[K');
    },
  };
}
