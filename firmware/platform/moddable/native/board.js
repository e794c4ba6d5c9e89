/*
 * Native helpers the Moddable SDK does not expose to JavaScript: chip id, free heap, hardware
 * random bytes, restart, and run-time setting overrides. Implemented per platform in
 * esp/board.c (ESP8266 and ESP32) and lin/board.c (the host build used by the tests).
 */
export function chipId() @ "xs_wakelink_chip_id";
export function freeHeap() @ "xs_wakelink_free_heap";
export function randomBytes(length) @ "xs_wakelink_random_bytes";
export function restart() @ "xs_wakelink_restart";
export function setting(key) @ "xs_wakelink_setting";
