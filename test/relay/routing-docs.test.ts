/**
 * /docs describes the routing protocol as the relay speaks it (issue 13): real frames, captured
 * over real sockets, validate against the documented component schemas with no field left
 * undocumented, and every routing error code is in the documented error frame.
 */
import Ajv from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, registerUser } from './helpers/http';
import { commandPacket, newDeviceToken, open, responsePacket } from './helpers/packets';
import { startRelay, type RunningRelay } from './helpers/relay';
import { connectBoard, connectSubscriber, createEndpoint, expectFrame } from './helpers/routing';
import { connectClient } from './helpers/ws';

let relay: RunningRelay;
let doc: any;
beforeAll(async () => {
  relay = await startRelay();
  doc = (await api(relay.http, 'GET', '/docs/json')).body;
});
afterAll(async () => relay.close());

/** A validator for a documented frame that also refuses fields the documentation does not list. */
function validatorFor(name: string) {
  const schemas = structuredClone(doc.components.schemas);
  for (const schema of Object.values(schemas) as any[]) if (schema.type === 'object' && schema.properties) schema.additionalProperties = false;
  const ajv = new Ajv({ strict: false, allErrors: true });
  ajv.addSchema({ $id: 'doc', components: { schemas } });
  const validate = ajv.getSchema(`doc#/components/schemas/${name}`);
  if (!validate) throw new Error(`no schema ${name}`);
  return (frame: unknown) => (validate(frame) ? null : `${name}: ${ajv.errorsText(validate.errors)} in ${JSON.stringify(frame).slice(0, 300)}`);
}

describe('/docs for the routing protocol (issue 13)', () => {
  it('lists the frames each socket sends and receives, and every routing error code', () => {
    const client = doc.paths['/ws/client/{client_id}'].get['x-websocket-frames'];
    const names = (list: { $ref: string }[]) => list.map((r) => r.$ref.split('/').pop());
    expect(names(client.clientSends)).toEqual(expect.arrayContaining(['WsSubscribe', 'WsPublishEvent', 'WsSendMessage', 'WsMessageAck', 'WsCommand', 'WsSignal', 'WsPing']));
    expect(names(client.relaySends)).toEqual(expect.arrayContaining(['WsSubscribed', 'WsPresence', 'WsEvent', 'WsMessage', 'WsReceipt', 'WsRoutedAck', 'WsResponse', 'WsSignalDelivery', 'WsDelivered', 'WsPong', 'WsRoutedError']));
    const board = doc.paths['/ws/{device_id}'].get['x-websocket-frames'];
    expect(names(board.clientSends)).toEqual(expect.arrayContaining(['WsPublishEvent', 'WsPing']));
    const codes = doc.components.schemas.WsRoutedError.properties.error.enum;
    for (const code of ['endpoint_not_found', 'target_offline', 'unsupported_target', 'forged_from', 'invalid_frame', 'unknown_type', 'frame_too_large', 'mailbox_full', 'unknown_msgid', 'subscription_limit']) {
      expect(codes).toContain(code);
    }
    expect(doc.paths['/ws/client/{client_id}'].get.description).toContain('{"type":"subscribe","endpoints":"boards"}');
    expect(doc.paths['/ws/{device_id}'].get.description).toContain('{"type":"event","event":"<name>","content":<JSON>}');
    for (const path of ['/api/endpoints', '/api/endpoints/{ref}', '/api/history']) expect(doc.paths[path], path).toBeDefined();
  });

  it('every frame the relay sends in a session validates against its documented schema, with no undocumented field', async () => {
    const token = newDeviceToken();
    const user = await registerUser(relay.http);
    const phone = (await createEndpoint(relay.http, user.token, { kind: 'app', name: 'phone' })).id;
    const desktop = (await createEndpoint(relay.http, user.token, { kind: 'host', name: 'desktop' })).id;
    const watcher = await connectSubscriber(relay.ws, 'docs-watch', user.token, 'boards');
    const frames: [string, unknown][] = [['WsSubscribed', watcher.subscribed]];
    const board = await connectBoard(relay, user.token, 'WLD0C5');
    frames.push(['WsPresence', await expectFrame(watcher.probe, 'presence')]);
    board.probe.send({ type: 'event', event: 'wake.confirmed', content: responsePacket(token, 'WLD0C5', { state: 'up' }) });
    frames.push(['WsEvent', await expectFrame(watcher.probe, 'event')]);
    board.probe.send({ type: 'event', event: 'BAD' });
    frames.push(['WsRoutedError', await expectFrame(board.probe, 'error')]);
    board.probe.send({ type: 'ping', id: 'b' });
    frames.push(['WsPong', await expectFrame(board.probe, 'pong')]);

    const a = (await connectClient(relay.ws, phone, user.token)).probe;
    const b = (await connectClient(relay.ws, desktop, user.token)).probe;
    a.send({ type: 'message', to: desktop, msgid: 'd1', acknowledge: true, subject: 's', content: [1], action: 'a', event: 'e', status: 's', conversation_id: 'c', msgno: 1 });
    frames.push(['WsMessage', await expectFrame(b, 'message')]);
    frames.push(['WsReceipt', await expectFrame(a, 'receipt')]);
    b.send({ type: 'ack', msgid: 'd1', status: 'ok' });
    frames.push(['WsRoutedAck', await expectFrame(a, 'ack')]);
    a.send({ type: 'offer', target_device_id: desktop, id: 'o', payload: { type: 'offer', sdp: 'v=0' } });
    frames.push(['WsSignalDelivery', await expectFrame(b, 'offer')]);
    frames.push(['WsDelivered', await expectFrame(a, 'ack')]);
    board.probe.socket.once('message', (data) => {
      board.probe.send(responsePacket(token, 'WLD0C5', { status: 'success', request_id: open(token, data.toString()).request_id }));
    });
    a.send({ type: 'command', to: 'WLD0C5', id: 'k', packet: commandPacket(token, 'WLD0C5', 'ping', 'docs0001') });
    const pair = [await a.next(), await a.next()];
    frames.push(['WsDelivered', pair.find((f) => f.type === 'ack')], ['WsResponse', pair.find((f) => f.type === 'response')]);
    a.send({ type: 'message', to: 'nowhere' });
    frames.push(['WsRoutedError', await expectFrame(a, 'error')]);

    const failures = frames.map(([name, frame]) => validatorFor(name)(frame)).filter((failure) => failure !== null);
    expect(failures).toEqual([]);
    [watcher.probe, board.probe, a, b].forEach((p) => p.close());
  });

  it('issue 14: pairing frames and the paired-host errors validate against their documented schemas', async () => {
    const user = await registerUser(relay.http);
    const board = await connectBoard(relay, user.token, 'WLD0C6');
    const app = (await createEndpoint(relay.http, user.token, { kind: 'app', name: 'phone' })).id;
    const { probe } = await connectClient(relay.ws, app, user.token);
    const frames: [string, unknown][] = [];
    probe.send({ type: 'command', id: 'x', packet: commandPacket(newDeviceToken(), 'WLD0C6', 'ping', 'docs0002') });
    frames.push(['WsRoutedError', await expectFrame(probe, 'error')]);
    board.probe.send({ type: 'pair_request', id: 'p' });
    const code = await expectFrame(board.probe, 'pair_code');
    frames.push(['WsPairCode', code]);
    probe.send({ type: 'pair_confirm', code: '000000' === code.code ? '000001' : '000000', id: 'w' });
    frames.push(['WsRoutedError', await expectFrame(probe, 'error')]);
    probe.send({ type: 'pair_confirm', code: code.code, id: 'c' });
    frames.push(['WsPaired', await expectFrame(probe, 'paired')], ['WsPaired', await expectFrame(board.probe, 'paired')]);
    expect(frames.map(([name, frame]) => validatorFor(name)(frame)).filter((failure) => failure !== null)).toEqual([]);
    const codes = doc.components.schemas.WsRoutedError.properties.error.enum;
    for (const wire of ['no paired host', 'invalid_code', 'pairing_needs_endpoint', 'code_limit']) expect(codes).toContain(wire);
    for (const path of ['/api/pairings', '/api/pairings/code', '/api/pairings/{id}', '/auth/refresh', '/auth/logout', '/auth/sessions', '/auth/sessions/{id}']) {
      expect(doc.paths[path], path).toBeDefined();
    }
    [probe, board.probe].forEach((p) => p.close());
  });
});
