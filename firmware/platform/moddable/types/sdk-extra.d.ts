/**
 * Declarations the Moddable SDK's own typings (and @moddable/typings) lack. This file is ambient
 * (no top-level import or export) and must compile next to either set of typings, so it only
 * adds: it never redeclares what `$MODDABLE/typings` declares (its crypt.d.ts declares Digest;
 * for the npm typings, which have no "crypt" at all, see npm-typings-extra.d.ts).
 * Shapes follow the SDK sources (modules/crypt, firmware/platform/moddable/native).
 * The manifest passes this file to mcconfig's tsc ("typescript.tsconfig.compilerOptions.types").
 */

declare module "crypt" {
  /** "ChaCha" takes a 32-byte key, a 12-byte nonce and the initial block counter (RFC 8439). */
  export class StreamCipher {
    constructor(name: "ChaCha" | "RC4", key: ArrayBuffer, iv?: ArrayBuffer, counter?: number);
    encrypt(data: ArrayBuffer, result?: ArrayBuffer, count?: number): ArrayBuffer;
    decrypt(data: ArrayBuffer, result?: ArrayBuffer, count?: number): ArrayBuffer;
    process(data: ArrayBuffer, result?: ArrayBuffer, count?: number): ArrayBuffer;
  }
}

/** Our native helpers: native/esp/board.c on the boards, native/lin/board.c in the host build. */
declare module "wakelink/board" {
  /** ESP8266: the 24-bit chip id; ESP32: the low 32 bits of the eFuse MAC, as v1.0 firmware reads them. */
  export function chipId(): number;
  export function freeHeap(): number;
  /** Bytes from the hardware RNG (esp_fill_random / os_get_random; getrandom on lin). At most 256. */
  export function randomBytes(length: number): ArrayBuffer;
  export function restart(): void;
  /**
   * A run-time override of a build setting. Boards have none (undefined); the lin host build reads
   * WAKELINK_<KEY> from its process environment, so one built image can serve many test devices.
   */
  export function setting(key: string): string | undefined;
}

/** XS memory figures (native/lin/memory.c): lin host build only, for the memory budget bench. */
declare module "wakelink/memory" {
  export interface MemoryFigures {
    slots: number;
    peakSlots: number;
    chunkBytes: number;
    peakChunkBytes: number;
    /** Configured stack, in slots. */
    stackSlots: number;
    /** Bytes per slot in this build (32 on a 64-bit host, 16 on ESP). */
    slotBytes: number;
    /** Stack high-water mark in slots since the previous call; -1 unless the build is instrumented (mcconfig -i). */
    peakStackSlots: number;
    /** Garbage collections since boot; -1 unless instrumented. */
    gcCount: number;
  }
  export function memory(): MemoryFigures;
  /** Stack slots in use at the moment of the call (for finding deep call paths). */
  export function stackDepth(): number;
}
