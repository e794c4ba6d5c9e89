/**
 * Developer tool: what a server keeps per connection, by constructor / node type.
 *   npx tsx bench/relay/heap-summary.ts <after.heapsnapshot> [<before.heapsnapshot> <connections>] [--top N]
 * With a `before` snapshot, prints the growth divided by the number of connections opened between
 * the two (snapshots come from probe(gc, path) in processes.ts).
 */
import { readFileSync } from 'node:fs';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
  nodes: number[];
  strings: string[];
}

type Totals = Map<string, { count: number; bytes: number }>;

function totals(file: string): Totals {
  const snap = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  const fields = snap.snapshot.meta.node_fields;
  const width = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  const types = snap.snapshot.meta.node_types[0];
  const out: Totals = new Map();
  for (let i = 0; i < snap.nodes.length; i += width) {
    const type = types[snap.nodes[i + typeAt]!]!;
    const name = type === 'object' || type === 'closure' ? `${type}:${snap.strings[snap.nodes[i + nameAt]!]}` : `(${type})`;
    const entry = out.get(name) ?? { count: 0, bytes: 0 };
    entry.count += 1;
    entry.bytes += snap.nodes[i + sizeAt]!;
    out.set(name, entry);
  }
  return out;
}

const args = process.argv.slice(2);
const topAt = args.indexOf('--top');
const top = topAt >= 0 ? Number(args.splice(topAt, 2)[1]) : 30;
const [after, before, perArg] = args;
if (!after || (before !== undefined && !(Number(perArg) > 0))) {
  process.stderr.write('usage: tsx bench/relay/heap-summary.ts <after.heapsnapshot> [<before.heapsnapshot> <connections>] [--top N]\n');
  process.exit(2);
}
const a = totals(after);
const b = before ? totals(before) : new Map() as Totals;
const per = before ? Number(perArg) : 1;
const rows = [...new Set([...a.keys(), ...b.keys()])].map((name) => {
  const x = a.get(name) ?? { count: 0, bytes: 0 };
  const y = b.get(name) ?? { count: 0, bytes: 0 };
  return { name, count: (x.count - y.count) / per, bytes: (x.bytes - y.bytes) / per };
});
const sum = rows.reduce((s, r) => s + r.bytes, 0);
console.log(before ? `heap growth per connection: ${sum.toFixed(0)} bytes` : `total self size: ${(sum / 1e6).toFixed(1)} MB`);
for (const r of rows.sort((x, y) => y.bytes - x.bytes).slice(0, top)) {
  console.log(`${r.count.toFixed(2).padStart(10)}  ${r.bytes.toFixed(0).padStart(10)} B  ${r.name}`);
}
