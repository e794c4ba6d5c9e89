/*
 * XS memory figures of the running machine (lin host build only, for the memory budget in
 * `npm run bench -- --device`). Implemented in memory.c.
 */
export function memory() @ "xs_wakelink_memory";
export function stackDepth() @ "xs_wakelink_stack_depth";
