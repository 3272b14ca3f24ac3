// Resident memory of a real `deskbot serve` child process on PostgreSQL while a first start with IMAP_START=all works
// through a backlog of month-old requests in a real Dovecot (acknowledgements to a loopback SMTP server), and idle
// afterwards (issue 16, point 2). A bound on memory, not on time: the backlog may take as long as the machine needs.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startIntakeRig } from '../../../../bench/intake-rig.ts';
import { repoRoot } from '../../../helpers/deskbot-process.ts';
import { dovecotAvailable } from '../../../helpers/dovecot.ts';
import { createTestDatabase, postgresAvailable } from '../../../helpers/postgres.ts';

const available = dovecotAvailable() && (await postgresAvailable());
const MB = 1024 * 1024;
/**
 * Enough requests for V8's default policy on a large host (the heap grows up to ~4x its ~70 MB of live data before a
 * full collection) to pass 350 MB: with HEAP_GROWTH_PERCENT=0 this run peaked at 405 MB (idle 404 MB), with the
 * default 30 at 302 MB (idle 228 MB). V8 grows the heap less the slower the process allocates: on a machine loaded
 * 8x over its cores the run without the setting stayed at 230 MB too, so only a quieter run tells the two apart.
 */
const backlog = 1_200;

/** Resident set size of a process in bytes, from /proc (Linux). */
function rssOf(pid: number): number {
  const kb = /^VmRSS:\s+(\d+) kB$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  if (!kb) throw new Error(`no VmRSS for process ${pid}`);
  return Number(kb) * 1024;
}

/** Samples a process's RSS every 100 ms until stopped; returns the highest value in MB. */
function samplePeak(pid: number): () => number {
  let peak = rssOf(pid);
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, rssOf(pid));
    } catch {
      // the process is gone; the test fails on its missing acknowledgements
    }
  }, 100);
  return () => {
    clearInterval(timer);
    return peak / MB;
  };
}

/** The V8 heap the process has committed, from its own /metrics, in MB. */
async function heapTotalMb(port: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return Number(/^deskbot_nodejs_heap_size_total_bytes (\S+)$/m.exec(text)?.[1]) / MB;
}

describe.skipIf(!available || process.platform !== 'linux')('resident memory of serve through an IMAP backlog (PostgreSQL, Dovecot, SMTP)', () => {
  // The bundle `npm start` runs (tsx would add its loader thread, ~35 MB), built privately: rebuilding dist/ could pull
  // it from under another suite's deskbot process. Inside the repository (tmp/ is ignored) so npm packages resolve.
  const bundleDir = path.join(repoRoot, 'tmp', `backlog-memory-${process.pid}`);
  const entry = path.join(bundleDir, 'serve.mjs');
  beforeAll(() => {
    execFileSync(process.execPath, ['scripts/build.mjs', '--outdir', bundleDir], { cwd: repoRoot, stdio: 'inherit' });
    // What bin/deskbot.mjs does with a fresh dist/ bundle.
    fs.writeFileSync(
      entry,
      "import { runCli } from './cli.js';\nprocess.setSourceMapsEnabled(true);\nprocess.exitCode = await runCli(process.argv.slice(2));\n",
    );
  });
  afterAll(() => fs.rmSync(bundleDir, { recursive: true, force: true }));

  it(`works through ${backlog} month-old requests under 350 MB RSS and idles under 260 MB right after`, { timeout: 600_000 }, async () => {
    const database = await createTestDatabase();
    try {
      const rig = await startIntakeRig({
        databaseUrl: database.url,
        messages: backlog,
        backlog: { count: backlog, receivedAt: new Date(Date.now() - 30 * 24 * 3_600_000) },
        entry,
        env: { IMAP_START: 'all' },
      });
      try {
        const pid = rig.pids[0]!;
        const port = rig.ports[0]!;
        let heapPeak = 0;
        const heapTimer = setInterval(() => {
          heapTotalMb(port).then(
            (mb) => void (heapPeak = Math.max(heapPeak, mb)),
            () => undefined,
          );
        }, 1_000);
        const stopSampling = samplePeak(pid);
        const cpuBefore = rig.cpuMs?.();
        await rig.waitForAcks(rig.backlog, 120_000);
        const cpuAfter = rig.cpuMs?.();
        const peak = stopSampling();
        clearInterval(heapTimer);
        await new Promise((resolve) => setTimeout(resolve, 5_000));
        const idleSampling = samplePeak(pid);
        await new Promise((resolve) => setTimeout(resolve, 5_000));
        const idle = idleSampling();
        const acknowledged = rig.backlog.filter((id) => rig.acknowledged.has(id)).length;
        console.info(
          `backlog of ${backlog}: ${acknowledged} acknowledged; RSS peak ${peak.toFixed(0)} MB, idle ${idle.toFixed(0)} MB; V8 heap committed peak ${heapPeak.toFixed(0)} MB`,
        );
        expect(acknowledged, await rig.diagnostics()).toBe(backlog);
        // The rig reads the child's CPU time from /proc (bench:intake's cpuMsPerMessage): the backlog took some.
        expect(cpuBefore).toBeGreaterThan(0);
        expect(cpuAfter! - cpuBefore!).toBeGreaterThan(backlog);
        expect(peak).toBeLessThan(350);
        // 5-10 s after the last acknowledgement V8 still holds its grown young generation (~30 MB, given back at its
        // first collection once allocation is low: ~200 MB a minute later, bench:scale). Measured 226-228 MB with
        // HEAP_GROWTH_PERCENT=30, 218-404 MB without.
        expect(idle).toBeLessThan(260);
      } finally {
        await rig.stop();
      }
    } finally {
      await database.drop();
    }
  });
});
