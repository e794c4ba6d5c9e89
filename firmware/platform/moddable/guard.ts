/**
 * An exception that escapes a callback the Moddable runtime calls (socket, listener, UDP,
 * WebSocket, timer, Wi-Fi, SNTP, host control) aborts the XS machine: on a board, a reset that
 * anyone able to trigger the failing path could repeat. Every such callback is wrapped here: the
 * error is logged and swallowed, and `recover` (closing the socket that failed, say) runs after.
 */

function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

/** Logs without ever throwing (a failing log must not turn a handled error into an abort). */
export function reportFault(what: string, error: unknown): void {
  try {
    trace(`[error] ${what}: ${describe(error)}\n`);
  } catch {
    // nothing left to do
  }
}

/** For callbacks with no arguments (timers): no argument list is built per call. */
export function guard(what: string, callback: () => void): () => void {
  return (): void => {
    try {
      callback();
    } catch (error) {
      reportFault(what, error);
    }
  };
}
