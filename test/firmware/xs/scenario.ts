/**
 * A deterministic device session using only firmware/ and shared/ code (no Node APIs), so it can
 * run unchanged on Node and inside a real XS engine and the two transcripts can be compared.
 */
import { startDevice } from '../../../firmware/device';
import { createMemoryPlatform, MemoryStore, SeededRandom } from '../../../firmware/platform/memory/index';
import { writeStoredText } from '../../../firmware/stored-text';
import { buildCommand, deriveKey, openPacketText, referenceCrypto, sealPacket, type JsonObject } from '../../../shared/index';
import { GOLDEN } from '../../vectors/crypto-vectors';

const TOKEN_LINE = 'PROVISION device_token=';

export interface ScenarioOutput {
  goldenReply: string;
  replies: string[];
  inner: JsonObject[];
  udpPackets: number;
  oversizeReply: string;
  counterAfterReboot: number;
  firstBootTokenLength: number;
  /** Issue 12 item 7: a wake without timestamp, then a ping without one (inner replies). */
  withoutTimestamp: JsonObject[];
  /** Issue 12 item 8: setup login statuses, 9 rotating addresses × 5 wrong guesses, then the right one. */
  setupLogins: number[];
}

export function runDeviceScenario(): ScenarioOutput {
  const store = new MemoryStore();
  writeStoredText(store, 'tok', GOLDEN.token);
  store.set('setup_pw', 'SetupPass123');
  store.set('ssid', 'home-net');
  store.set('wifi_pw', 'correct horse');
  const platform = createMemoryPlatform({ store, random: new SeededRandom(99) });
  platform.network.reachable.set('home-net', 'correct horse');
  const handle = startDevice(platform, { lanPort: 99, httpPort: 80, wolAddress: '127.0.0.1', wolPort: 40009 });
  platform.timers.advance(0);
  const key = deriveKey(GOLDEN.token, referenceCrypto);
  const clientRandom = new SeededRandom(7);

  const exchange = (line: string): string => {
    const peer = platform.tcp.connect(99);
    peer.send(line + '\n');
    return peer.text.trim();
  };

  const goldenReply = exchange(
    JSON.stringify({ device_id: GOLDEN.deviceId, payload: GOLDEN.command.payload, signature: GOLDEN.command.signature, version: '1.0' }),
  );
  const commands: Array<[string, JsonObject]> = [
    ['ping', {}],
    ['wake', { mac: 'AA:BB:CC:DD:EE:FF' }],
    ['wake', { mac: 'not-a-mac' }],
    ['info', {}],
    ['web_control', { action: 'status' }],
    ['cloud_control', { action: 'toggle' }],
    ['crypto_info', {}],
    ['nope', {}],
  ];
  const replies: string[] = [];
  const inner: JsonObject[] = [];
  commands.forEach(([name, data], i) => {
    const packet = sealPacket({
      key,
      deviceId: GOLDEN.deviceId,
      inner: buildCommand(name, data, `req${i}`, 1733500000),
      nonce: clientRandom.bytes(16),
      crypto: referenceCrypto,
    });
    const reply = exchange(JSON.stringify(packet));
    replies.push(reply);
    inner.push(openPacketText({ key, packet: reply, crypto: referenceCrypto }).inner);
  });
  const withoutTimestamp = [
    { command: 'wake', data: { mac: 'AA:BB:CC:DD:EE:FF' }, request_id: 'nots1' },
    { command: 'ping', data: {}, request_id: 'nots2' },
  ].map((command) => {
    const packet = sealPacket({ key, deviceId: GOLDEN.deviceId, inner: command, nonce: clientRandom.bytes(16), crypto: referenceCrypto });
    return openPacketText({ key, packet: exchange(JSON.stringify(packet)), crypto: referenceCrypto }).inner;
  });
  const setupLogin = (password: string, from: string): number => {
    const http = platform.tcp.connect(80, from);
    const body = 'password=' + password;
    http.send(`POST /login HTTP/1.1\r\nHost: 192.168.4.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
    return Number(http.text.split(' ')[1]);
  };
  const setupLogins: number[] = [];
  for (let a = 0; a < 9; a++) for (let i = 0; i < 5; i++) setupLogins.push(setupLogin(`guess${a}x${i}`, `10.9.0.${a}`));
  setupLogins.push(setupLogin('SetupPass123', '10.9.1.1'));
  const peer = platform.tcp.connect(99);
  peer.send('x'.repeat(2000));
  const oversizeReply = peer.text.trim();
  const udpPackets = platform.udp.sent.length;

  // Power cut: a second device on the same store resumes the counter above the old value.
  const after = createMemoryPlatform({ store, random: new SeededRandom(5) });
  after.network.reachable.set('home-net', 'correct horse');
  const second = startDevice(after, { lanPort: 99 });
  after.timers.advance(0);
  const counterAfterReboot = second.status().requestCounter;
  handle.stop();
  second.stop();

  const fresh = createMemoryPlatform({ random: new SeededRandom(3) });
  startDevice(fresh, { lanPort: 99 }).stop();
  return {
    goldenReply,
    replies,
    inner,
    udpPackets,
    oversizeReply,
    counterAfterReboot,
    withoutTimestamp,
    setupLogins,
    firstBootTokenLength: (fresh.logger.lines.find((l) => l.message.startsWith(TOKEN_LINE))?.message ?? '').slice(TOKEN_LINE.length).length,
  };
}
