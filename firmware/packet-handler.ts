/**
 * One request packet in, one sealed reply out, in the validation order of spec 2.4:
 * envelope → MAC (constant time) → sizes → inner JSON → freshness (our addition) → command.
 * Every failure is answered with a normal sealed and signed reply, never plain text.
 */
import {
  CommandError, ErrorCodes, FreshnessGuard, isPlausibleUnixSeconds, isProtocolError, openPacketText, parseCommand,
  ProtocolError, sealPacket, toHex, type CryptoBackend, type JsonObject, type OpenedPacket,
} from '../shared/index';
import { dispatchCommand } from './commands/dispatch';
import type { CommandContext } from './commands/context';
import { MAX_REQUEST_ID_JSON_CHARS, REQUEST_ID_TOO_LONG, RESPONSE_TOO_LARGE } from './constants';
import type { Clock, Logger, RandomSource } from './platform/types';
import { isReadOnlyCommand, type ReplayFloor } from './replay-floor';
import type { ReplyCache } from './reply-cache';
import { echoRequestId, failure, finishReply, type Transport } from './replies';

export interface PacketHandlerDeps {
  crypto: CryptoBackend;
  random: RandomSource;
  clock: Clock;
  logger: Logger;
  freshness: FreshnessGuard;
  /** Persists the freshness high-water mark before state-changing commands act (F13). */
  replayFloor: ReplayFloor;
  /** Replies of recently answered packets, for byte-identical duplicates (F4). */
  replies: ReplyCache;
  context: CommandContext;
  /** The key of the token in force (the old one while an update_token reply is being sealed). */
  key(): Uint8Array;
}

/** What `decide` concluded: the reply to seal (remembered for duplicates), or an earlier one to re-send. */
type Verdict =
  | { cached: string; reply?: undefined }
  | {
    cached?: undefined;
    reply: JsonObject;
    remember?: { nonce: string; signature: string };
    after?: () => void;
    /** The command answers later (status probes); `echoed` is the request id its reply ends with. */
    defer?: { run: (answer: (reply: JsonObject) => void) => void; echoed: unknown };
  };

export interface HandledPacket {
  /** Outer reply JSON, without a line terminator ('' while `later` is set). */
  text: string;
  after?: () => void;
  /**
   * The reply is not ready yet: `later(deliver)` hands it over once, or never if the transport
   * went away first. A transport keeps the request open for at most PENDING_REPLY_MAX_MS.
   */
  later?: (deliver: (text: string) => void) => void;
}

/** Errors that prove the MAC and sizes were fine: v1.0 counts these packets (spec 1.6). */
function passedSizeChecks(error: unknown): boolean {
  return isProtocolError(error) && error.code === ErrorCodes.INVALID_JSON;
}

/** For the serial log: the command name, bounded, never anything from `data`. */
function commandName(inner: JsonObject): string {
  return typeof inner.command === 'string' ? inner.command.slice(0, 24) : '(none)';
}

export class PacketHandler {
  constructor(private readonly deps: PacketHandlerDeps) {}

  /**
   * Thin on purpose: opening, deciding and sealing run one after another from this small frame,
   * not one inside the other. Each of them reaches deep into native crypto and JSON, and on the
   * ESP8266 the whole request must fit a 288-slot stack (bench `--device` measures the peak).
   */
  handle(text: string, transport: Transport): HandledPacket {
    const opening = this.open(text, transport);
    const verdict = opening.opened ? this.decide(opening.opened, transport) : { reply: opening.reply };
    if (verdict.cached !== undefined) return { text: verdict.cached };
    if (verdict.defer) return { text: '', later: (deliver) => this.answerLater(verdict, deliver) };
    const sealed = this.seal(verdict.reply);
    if (verdict.remember) this.deps.replies.remember(verdict.remember.nonce, verdict.remember.signature, sealed.text);
    return verdict.after ? { text: sealed.text, after: verdict.after } : sealed;
  }

  /** MAC, sizes and inner JSON (spec 2.4 order); a failure is already the reply. */
  private open(text: string, transport: Transport): { opened: OpenedPacket; reply?: undefined } | { opened?: undefined; reply: JsonObject } {
    const { deps } = this;
    try {
      return { opened: openPacketText({ key: deps.key(), packet: text, crypto: deps.crypto }) };
    } catch (error) {
      if (passedSizeChecks(error)) deps.context.counter.increment();
      const code = isProtocolError(error) ? error.code : ErrorCodes.JSON_PARSE;
      deps.logger.log('warn', `packet refused via ${transport}: ${code}`);
      return { reply: finishReply(failure(code), null) };
    }
  }

  /** Duplicate check, counter, freshness, then the command itself. */
  private decide(opened: OpenedPacket, transport: Transport): Verdict {
    const { deps } = this;
    const nonce = toHex(opened.nonce.subarray(0, 12));
    const signature = opened.envelope.signature.toLowerCase();
    const earlier = deps.replies.find(nonce, signature);
    if (earlier !== undefined) {
      // A re-sent duplicate (relay at-least-once): same reply again, nothing run, nothing counted.
      deps.logger.log('info', `packet via ${transport}: duplicate of an answered packet; reply re-sent`);
      return { cached: earlier };
    }
    deps.context.counter.increment();
    const requestId = opened.inner.request_id;
    if (requestId !== undefined && JSON.stringify(requestId).length > MAX_REQUEST_ID_JSON_CHARS) {
      // Echoing it could push the reply past 500 bytes after the command already acted; refuse first.
      return { reply: finishReply(failure(REQUEST_ID_TOO_LONG), null) };
    }
    const echoed = echoRequestId(requestId, transport);
    const readOnly = isReadOnlyCommand(opened.inner);
    if (!readOnly && !isPlausibleUnixSeconds(opened.inner.timestamp)) {
      // Without Unix seconds the persisted floor cannot date the packet, so it could be replayed
      // after every reboot (F13). Every deployed client sends one; nothing runs, nothing is remembered.
      deps.logger.log('warn', `packet refused via ${transport}: ${ErrorCodes.TIMESTAMP_REQUIRED}`);
      return { reply: finishReply(failure(ErrorCodes.TIMESTAMP_REQUIRED), echoed) };
    }
    const nowSeconds = deps.clock.nowSeconds();
    try {
      deps.freshness.accept({
        nonce: opened.nonce,
        requestId,
        timestamp: opened.inner.timestamp,
        nowSeconds,
        readOnly,
        uptimeSeconds: Math.floor(deps.clock.uptimeMs() / 1000),
      });
    } catch (error) {
      const code = isProtocolError(error) ? error.code : ErrorCodes.REPLAY_DETECTED;
      deps.logger.log('warn', `packet refused via ${transport}: ${code}`);
      return { reply: finishReply(failure(code), echoed) };
    }
    if (!readOnly) deps.replayFloor.record(deps.freshness.highestTimestamp, nowSeconds);
    const remember = { nonce, signature };
    try {
      const outcome = dispatchCommand(deps.context, parseCommand(opened.inner), transport);
      deps.logger.log('info', `command ${commandName(opened.inner)} via ${transport}: ${outcome.defer ? 'answered shortly' : String(outcome.reply.status)}`);
      if (outcome.defer) return { reply: {}, remember, defer: { run: outcome.defer, echoed } };
      const reply = finishReply(outcome.reply, echoed);
      return outcome.after ? { reply, remember, after: outcome.after } : { reply, remember };
    } catch (error) {
      if (!(error instanceof CommandError)) throw error;
      deps.logger.log('info', `command ${commandName(opened.inner)} via ${transport}: error ${error.code}`);
      // Table 2.4: v1.0's WS path names an empty or non-string command as an unknown one.
      const reply = transport === 'ws' && error.code === ErrorCodes.NO_COMMAND_IN_JSON
        ? failure(ErrorCodes.UNKNOWN_COMMAND, { command: '' })
        : failure(error.code, error.details);
      return { reply: finishReply(reply, echoed), remember };
    }
  }

  /** Runs a deferred command; its reply is sealed (and remembered for duplicates) when it comes. */
  private answerLater(verdict: Extract<Verdict, { reply: JsonObject }>, deliver: (text: string) => void): void {
    const { defer, remember } = verdict;
    let answered = false;
    defer!.run((reply) => {
      if (answered) return;
      answered = true;
      const sealed = this.seal(finishReply(reply, defer!.echoed));
      if (remember) this.deps.replies.remember(remember.nonce, remember.signature, sealed.text);
      deliver(sealed.text);
    });
  }

  /** An event the board publishes (wake confirmation), sealed like a reply so only clients holding the token can read it. */
  sealEvent(event: JsonObject): string {
    return this.seal(event).text;
  }

  /** The v1.0 reply to a line that is not JSON at all (oversize, undecodable bytes). */
  unparsable(): HandledPacket {
    return this.seal(finishReply(failure(ErrorCodes.JSON_PARSE), null));
  }

  /** Seals a reply, without a closure: with `open` this is the deepest point of a request. */
  private seal(inner: JsonObject): HandledPacket {
    const { deps } = this;
    let body = inner;
    for (;;) {
      try {
        const envelope = sealPacket({
          key: deps.key(),
          deviceId: deps.context.deviceId,
          inner: body,
          nonce: deps.random.bytes(16),
          requestCounter: deps.context.counter.value,
          crypto: deps.crypto,
        });
        return { text: JSON.stringify(envelope) };
      } catch (error) {
        // Only an echoed request id can push a reply past 500 bytes; answer without it.
        const tooLarge = error instanceof ProtocolError && error.code === ErrorCodes.INVALID_DATA_LENGTH;
        if (!tooLarge || body !== inner) throw error;
        body = finishReply(failure(RESPONSE_TOO_LARGE), null);
      }
    }
  }
}
