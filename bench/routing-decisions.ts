/**
 * Routing decisions per second in one process, on the 180 labelled reports (every address style and channel).
 * Usage: npx tsx bench/routing-decisions.ts [rounds] [decisionsPerRound]
 *
 * Baseline in the same run: JSON.parse of each dispute as it arrives off the bus — work every consumer does
 * anyway, so the ratio says what routing costs on top of merely reading the message.
 */
import { cpus, loadavg } from 'node:os';
import { loadLabelledReports, toDispute } from '../services/routing/scripts/lib/labelled-set.ts';
import { createRouter } from '../services/routing/src/domain/router.ts';

const rounds = Number(process.argv[2] ?? 7);
const perRound = Number(process.argv[3] ?? 200_000);

const router = createRouter();
const disputes = loadLabelledReports().map(toDispute);
const wire = disputes.map((d) => JSON.stringify(d));
const now = new Date('2024-08-24T01:00:00Z');

// A sink the optimiser cannot remove.
let sink = 0;

function timeRound(work: (i: number) => void): number {
  const start = process.hrtime.bigint();
  for (let i = 0; i < perRound; i++) work(i);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return perRound / seconds;
}

const decide = (i: number) => {
  sink += router.decide(disputes[i % disputes.length]!, now).coHandlers.length;
};
const parse = (i: number) => {
  sink += (JSON.parse(wire[i % wire.length]!) as { content: string }).content.length;
};

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

// Warm-up: let the JIT settle before measuring.
timeRound(decide);
timeRound(parse);

const decideRates: number[] = [];
const parseRates: number[] = [];
for (let r = 0; r < rounds; r++) {
  decideRates.push(timeRound(decide));
  parseRates.push(timeRound(parse));
}

const cpu = cpus();
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const decisions = median(decideRates);
const parses = median(parseRates);
console.log(
  `machine: ${cpu[0]?.model ?? 'unknown cpu'}, ${cpu.length} cores, Node ${process.version}, ` +
    `load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')} (other work on the machine slows every round)`,
);
console.log(
  `workload: ${disputes.length} distinct labelled reports, ${rounds} rounds × ${fmt(perRound)} each, rules ${router.rulesVersion}`,
);
console.log(`routing decisions/s (median): ${fmt(decisions)}   [rounds: ${decideRates.map(fmt).join(', ')}]`);
console.log(`baseline JSON.parse/s (median): ${fmt(parses)}   [rounds: ${parseRates.map(fmt).join(', ')}]`);
console.log(`one decision costs ${(parses / decisions).toFixed(2)}× a JSON.parse of the same dispute`);
console.log(
  `mean time per decision: ${(1e6 / decisions).toFixed(2)} µs   (target ≥ 50,000 decisions/s: ${decisions >= 50_000 ? 'met' : 'NOT met'})`,
);
if (sink === -1) console.log('unreachable');
