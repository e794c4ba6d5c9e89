/**
 * Developer tool: `npx tsx bench/relay/profile-summary.ts <file.cpuprofile>... [--top N]` prints the
 * functions with the most self time and the most inclusive time, summed over the files given, as
 * shares of all sampled time and of busy (non-idle) time. Profiles come from
 * BENCH_RELAY_NODE_ARGS="--cpu-prof --cpu-prof-dir=DIR" (the relay's whole life) or
 * BENCH_PROFILE_WINDOW_DIR=DIR (exactly the measured windows).
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const args = process.argv.slice(2);
const topAt = args.indexOf('--top');
const top = topAt >= 0 ? Number(args.splice(topAt, 2)[1]) : 25;
if (args.length === 0) {
  process.stderr.write('usage: tsx bench/relay/profile-summary.ts <file.cpuprofile>... [--top N]\n');
  process.exit(2);
}
const selfTime = new Map<string, number>();
const inclusive = new Map<string, number>();
let total = 0;
let idle = 0;
const label = (n: ProfileNode) => {
  const url = n.callFrame.url.replace(/^file:\/\/.*?\/(node_modules|server|shared|bench)\//, '$1/');
  return `${n.callFrame.functionName || '(anonymous)'} ${url}:${n.callFrame.lineNumber + 1}`;
};
for (const file of args) {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    total += dt;
    const node = byId.get(id)!;
    if (node.callFrame.functionName === '(idle)') idle += dt;
    selfTime.set(label(node), (selfTime.get(label(node)) ?? 0) + dt);
    // Inclusive time per function label, counting each label once per stack.
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const l = label(byId.get(at)!);
      if (seen.has(l)) continue;
      seen.add(l);
      inclusive.set(l, (inclusive.get(l) ?? 0) + dt);
    }
  });
}
const busy = total - idle;
const print = (title: string, map: Map<string, number>) => {
  console.log(`\n${title} (${args.length} profile(s), ${(total / 1000).toFixed(0)} ms sampled, ${(busy / 1000).toFixed(0)} ms busy); % of all, % of busy`);
  for (const [name, us] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${((us / total) * 100).toFixed(1).padStart(5)}%  ${((us / busy) * 100).toFixed(1).padStart(5)}%  ${name}`);
  }
};
print('self time', selfTime);
print('inclusive time', inclusive);
