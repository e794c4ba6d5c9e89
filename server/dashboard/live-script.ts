/**
 * The dashboard's only script, served from the relay itself as /dashboard.js under a CSP that
 * allows exactly this origin's scripts and connections (no inline code, no eval). Its source is
 * server/dashboard/browser/ (bundled with shared/ by scripts/build.mjs, see script-bundle.ts): it
 * listens to /dashboard/live (server-sent events: presence, the boards' events, replies to the
 * page's commands), updates the Status and Last seen cells, and runs the board panel. Without it
 * the page still works: it shows the status as of loading, and a reload refreshes it.
 */
export const LIVE_SCRIPT_PATH = '/dashboard.js';
export const LIVE_STREAM_PATH = '/dashboard/live';
