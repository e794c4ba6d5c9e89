/**
 * The XS side of the command channel. Runs inside xsnap: no Node, no timers, no console — only
 * the globals `issueCommand` (synchronous call to the host) and `handleCommand` (set by us).
 */
import type { GuestReply, GuestRequest, HostEvent, HostReply } from '../protocol';

type BufferCall = (message: ArrayBuffer) => ArrayBuffer;
interface XsnapGlobals {
  issueCommand?: BufferCall;
  handleCommand?: BufferCall;
}

const xsnap = globalThis as unknown as XsnapGlobals;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

function toBuffer(value: unknown): ArrayBuffer {
  const bytes = encoder.encode(JSON.stringify(value));
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

/** Calls the host and returns its value; a host-side failure is rethrown here. */
export function callHost(request: GuestRequest): unknown {
  const issue = xsnap.issueCommand;
  if (issue === undefined) throw new Error('not running inside xsnap: issueCommand is missing');
  const reply = JSON.parse(decoder.decode(new Uint8Array(issue(toBuffer(request))))) as HostReply;
  if (reply.error !== undefined) throw reply.range ? new RangeError(reply.error) : new Error(reply.error);
  return reply.value;
}

/** Installs the event handler. Every event is answered; an exception becomes `{ok:false}`, never an XS abort. */
export function onHostEvents(handle: (event: HostEvent) => GuestReply): void {
  xsnap.handleCommand = (message: ArrayBuffer): ArrayBuffer => {
    let reply: GuestReply;
    try {
      reply = handle(JSON.parse(decoder.decode(new Uint8Array(message))) as HostEvent);
    } catch (error) {
      reply = { ok: false, error: describe(error) };
    }
    return toBuffer(reply);
  };
}

export function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
