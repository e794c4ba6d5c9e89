// Runs inside XS (xsnap). Boots the real firmware logic on the in-memory platform (plain-TS crypto,
// ESP8266 profile) and sends BENCH_HANDLE of the pre-sealed LAN `wake` requests, one connection
// each, as the v1.0 CLI does. The requests are embedded in both the N and the 0 run, so the
// difference of the two XS compute meters is the handling alone.
import { startDevice } from '../../firmware/device';
import { TOKEN_KEY } from '../../firmware/identity';
import { createMemoryPlatform } from '../../firmware/platform/memory/index';
import { writeStoredText } from '../../firmware/stored-text';
import { report } from '../../test/xs/report';

declare const BENCH_REQUESTS: string[];
declare const BENCH_HANDLE: number;
declare const BENCH_TOKEN: string;
declare const BENCH_NOW_SECONDS: number;
declare const BENCH_LAN_PORT: number;

const SSID = 'bench-net';
const PASSWORD = 'bench-password';

const platform = createMemoryPlatform();
writeStoredText(platform.store, TOKEN_KEY, BENCH_TOKEN);
platform.network.reachable.set(SSID, PASSWORD);
platform.clock.wallSeconds = BENCH_NOW_SECONDS;
const device = startDevice(platform, {
  profile: 'esp8266',
  lanPort: BENCH_LAN_PORT,
  wolAddress: '127.0.0.1',
  wolPort: 9,
  defaults: { ssid: SSID, password: PASSWORD },
});
platform.timers.advance(0); // Wi-Fi join completes; the LAN server listens

let lastReply = '';
for (let i = 0; i < BENCH_HANDLE; i++) {
  const peer = platform.tcp.connect(BENCH_LAN_PORT);
  peer.send(BENCH_REQUESTS[i] + '\n');
  if (i === BENCH_HANDLE - 1) lastReply = peer.text;
}
report({ handled: BENCH_HANDLE, magicPackets: platform.udp.sent.length, lastReply, mode: device.status().mode });
