// Throughput of the SLA engine: computeDueTimes for 100,000 varied tickets (US, EMEA, 24x7; severities 1-5; normal and plus).
// Run with `npx tsx bench/sla-due-times.ts [tickets]`. Prints a cold pass (empty caches) and the best of three warm passes.
import { defaultPolicy } from '../src/domain/policy.ts';
import { computeDueTimes, type SlaInput } from '../src/domain/sla/index.ts';

const ticketCount = Number(process.argv[2] ?? 100_000);
const calendars = ['US', 'EMEA', '24x7'] as const;
const supportLevels = ['normal', 'plus'] as const;
const yearStart = Date.UTC(2026, 0, 1);
const yearMs = 365 * 86_400_000;

/** Deterministic tickets: a small LCG so every run measures the same work. */
function tickets(count: number): SlaInput[] {
  let seed = 20_260_101;
  const next = (): number => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return seed / 2_147_483_648;
  };
  return Array.from({ length: count }, () => ({
    calendar: calendars[Math.floor(next() * calendars.length)]!,
    supportLevel: supportLevels[Math.floor(next() * supportLevels.length)]!,
    severity: 1 + Math.floor(next() * 5),
    clockStartedAt: new Date(yearStart + Math.floor(next() * yearMs)),
  }));
}

function run(label: string, policy: ReturnType<typeof defaultPolicy>, inputs: SlaInput[]): number {
  let checksum = 0;
  const started = performance.now();
  for (const input of inputs) checksum += computeDueTimes(policy, input).initialResponseDue.getTime() % 997;
  const seconds = (performance.now() - started) / 1000;
  const perSecond = inputs.length / seconds;
  console.log(
    `${label}: ${inputs.length} tickets in ${(seconds * 1000).toFixed(0)} ms = ${Math.round(perSecond).toLocaleString('en-US')} tickets/s (checksum ${checksum})`,
  );
  return perSecond;
}

const inputs = tickets(ticketCount);
run('cold (fresh policy, empty caches)', defaultPolicy(), inputs);
const policy = defaultPolicy();
run('warm-up', policy, inputs);
const best = Math.max(run('warm 1', policy, inputs), run('warm 2', policy, inputs), run('warm 3', policy, inputs));
console.log(`best warm: ${Math.round(best).toLocaleString('en-US')} tickets/s`);
