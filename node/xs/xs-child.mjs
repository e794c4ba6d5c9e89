// Child-process entry that runs one script inside a real XS engine (@agoric/xsnap).
// @endo/init locks down this whole process, which is why it never runs inside tests or the relay.
// Protocol with the parent: argv[2] = path of a bundled script. Every `issueCommand` the script
// makes is printed as one JSON line {"type":"message","data":...}; the end of the run prints
// {"type":"done","compute":<XS meter count>} or {"type":"error","message":...}.
import fs from 'node:fs';
import { startXsWorker } from './worker.mjs';

const decoder = new TextDecoder();
const encoder = new TextEncoder();
const scriptPath = process.argv[2];
const write = (record) => process.stdout.write(JSON.stringify(record) + '\n');

async function main() {
  const code = fs.readFileSync(scriptPath, 'utf8');
  const worker = await startXsWorker({
    name: 'wakelink-xs',
    handleCommand: async (message) => {
      write({ type: 'message', t: Number(process.hrtime.bigint()) / 1e6, data: JSON.parse(decoder.decode(message)) });
      return encoder.encode('{}');
    },
  });
  try {
    const result = await worker.evaluate(code);
    write({ type: 'done', compute: result?.meterUsage?.compute ?? null });
  } finally {
    await worker.close();
  }
}

main().catch((error) => {
  write({ type: 'error', message: String(error?.message ?? error) });
  process.exitCode = 1;
});
