/*
 * Native helpers the Moddable SDK does not expose to JavaScript: chip id, free heap,
 * hardware random bytes and restart. Implemented in board.c.
 */
export function chipId() @ "xs_wakelink_chip_id";
export function freeHeap() @ "xs_wakelink_free_heap";
export function randomBytes(length) @ "xs_wakelink_random_bytes";
export function restart() @ "xs_wakelink_restart";
