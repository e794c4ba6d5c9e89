// Child process that owns one xsnap worker (a real XS engine) and relays between it and the
// simulator over Node's IPC channel. It does no I/O of its own: sockets, timers and storage stay
// in the simulator process, which is not locked down. @endo/init locks down this process, which is
// why it is a dedicated child and never the simulator or a test runner.
//
// IPC, parent → child: {t:'ev', seq, body}  push one event into XS (handleCommand)
//                      {t:'res', seq, body} answer to a request XS made
// child → parent:      {t:'ready'} | {t:'req', seq, body} | {t:'ev-done', seq, body?, error?} | {t:'fatal', message}
import fs from 'node:fs';
import { startXsWorker } from '../../node/xs/worker.mjs';

const decoder = new TextDecoder();
const encoder = new TextEncoder();
const pending = new Map();
let nextRequest = 1;

// The simulator may hang up at any moment (Ctrl-C, reboot): a message it will never read is dropped.
const send = (message) => {
  if (!process.connected) return;
  try {
    process.send(message, () => undefined);
  } catch {
    // Channel closed between the check and the send.
  }
};

function askParent(body) {
  const seq = nextRequest++;
  return new Promise((resolve) => {
    pending.set(seq, resolve);
    send({ t: 'req', seq, body });
  });
}

async function main() {
  const code = fs.readFileSync(process.argv[2], 'utf8');
  const worker = await startXsWorker({
    name: 'wakelink-sim',
    handleCommand: async (message) => encoder.encode(await askParent(decoder.decode(message))),
  });

  process.on('message', (message) => {
    if (message.t === 'res') {
      const resolve = pending.get(message.seq);
      pending.delete(message.seq);
      resolve?.(message.body);
    } else if (message.t === 'ev') {
      // xsnap serialises commands: events reach XS one at a time, in the order they were sent.
      worker.issueCommand(encoder.encode(message.body)).then(
        (result) => send({ t: 'ev-done', seq: message.seq, body: decoder.decode(result.reply) }),
        (error) => send({ t: 'ev-done', seq: message.seq, error: String(error?.message ?? error) }),
      );
    }
  });
  // Ctrl-C reaches the whole process group: the simulator decides when the engine stops (it
  // disconnects the channel), so the device can still shut down in order.
  process.on('SIGINT', () => undefined);
  process.on('SIGTERM', () => undefined);
  process.on('disconnect', () => {
    worker.terminate().finally(() => process.exit(0));
  });
  await worker.evaluate(code);
  send({ t: 'ready' });
}

main().catch((error) => {
  send({ t: 'fatal', message: String(error?.message ?? error) });
  process.exitCode = 1;
  setTimeout(() => process.exit(1), 100);
});
