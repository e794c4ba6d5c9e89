import { utf8Encode } from '../../shared/index';

declare function issueCommand(message: ArrayBuffer): ArrayBuffer;

/** Sends one JSON record from inside XS to the Node parent (see node/xs/xs-child.mjs). */
export function report(record: unknown): void {
  const bytes = utf8Encode(JSON.stringify(record));
  issueCommand(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
}
