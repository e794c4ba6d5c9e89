/** ArrayBuffer <-> Uint8Array without copies where possible (Moddable APIs take ArrayBuffer). */
import { utf8Encode } from '../../../shared/index';

export function toArrayBuffer(data: Uint8Array | string): ArrayBuffer {
  const bytes = typeof data === 'string' ? utf8Encode(data) : data;
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength) return bytes.buffer as ArrayBuffer;
  return bytes.slice().buffer as ArrayBuffer;
}

export function fromArrayBuffer(buffer: ArrayBuffer): Uint8Array {
  return new Uint8Array(buffer);
}
