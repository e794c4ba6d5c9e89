/**
 * Declarations @moddable/typings 5.6.0 lacks: the `crypt` Digest / StreamCipher classes, the `hmac`
 * module, the TLS options of the WebSocket client, and our own native `wakelink/board` module.
 * Shapes follow the Moddable SDK sources (modules/crypt, modules/network/websocket).
 */

declare module "crypt" {
  export type DigestName = "MD5" | "SHA1" | "SHA224" | "SHA256" | "SHA384" | "SHA512";

  export class Digest {
    constructor(type: DigestName);
    write(data: string | ArrayBuffer): void;
    /** Returns the hash and frees the state; call `reset` to reuse the object. */
    close(): ArrayBuffer;
    reset(): void;
    readonly blockSize: number;
    readonly outputSize: number;
  }

  /** "ChaCha" takes a 32-byte key, a 12-byte nonce and the initial block counter (RFC 8439). */
  export class StreamCipher {
    constructor(name: "ChaCha" | "RC4", key: ArrayBuffer, iv?: ArrayBuffer, counter?: number);
    encrypt(data: ArrayBuffer, result?: ArrayBuffer, count?: number): ArrayBuffer;
    decrypt(data: ArrayBuffer, result?: ArrayBuffer, count?: number): ArrayBuffer;
    process(data: ArrayBuffer, result?: ArrayBuffer, count?: number): ArrayBuffer;
    setIV(iv: ArrayBuffer, counter?: number): void;
  }
}

declare module "hmac" {
  import type { Digest } from "crypt";

  export default class HMAC {
    constructor(hash: Digest, key: ArrayBuffer, bitLength?: number);
    update(...data: Array<string | ArrayBuffer>): void;
    close(): ArrayBuffer;
    reset(): void;
    /** reset + write every item + close. */
    process(...items: Array<string | ArrayBuffer>): ArrayBuffer;
  }
}

declare module "websocket" {
  import type SecureSocket from "securesocket";

  /** Options of `ssl/session` passed through SecureSocket. */
  export type TlsSessionOptions = {
    /** Verify the server certificate against the CA resources in the build (Moddable default true). */
    verify?: boolean;
    protocolVersion?: number;
    tls_server_name?: string;
    trace?: boolean;
  };

  /** The client options @moddable/typings leaves out: a socket class for TLS and its settings. */
  export type SecureWebSocketClientOptions = WebSocketClientOptions & {
    host: string;
    port: number;
    path: string;
    Socket?: typeof SecureSocket;
    secure?: TlsSessionOptions;
  };
}

/** Our native helpers (firmware/platform/moddable/native/board.c). */
declare module "wakelink/board" {
  /** ESP8266: the 24-bit chip id; ESP32: the low 32 bits of the eFuse MAC, as v1.0 firmware reads them. */
  export function chipId(): number;
  export function freeHeap(): number;
  /** Bytes from the hardware RNG (esp_fill_random / os_get_random). */
  export function randomBytes(length: number): ArrayBuffer;
  export function restart(): void;
}
