// The alert rules in ops/ are valid Prometheus rules, pass their own promtool unit tests, and name only metrics deskbot
// exports. Where promtool is absent the suite skips loudly; under CI=true it fails instead (.ci/run installs it).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { registry } from '../../src/metrics.ts';

const opsDir = path.resolve(import.meta.dirname, '../../ops');
const rulesFile = path.join(opsDir, 'prometheus-rules.yml');
const promtool = process.env.PROMTOOL_BIN ?? '/usr/bin/promtool';

function promtoolAvailable(): boolean {
  if (fs.existsSync(promtool)) return true;
  const message = `promtool not found at ${promtool} (apt-get install -y --no-install-recommends prometheus)`;
  if (process.env.CI === 'true') throw new Error(`${message}: required under CI=true`);
  console.warn(`\n*** ${message}: the promtool checks of ops/prometheus-rules.yml are SKIPPED ***\n`);
  return false;
}

function run(...args: string[]): { status: number | null; output: string } {
  const result = spawnSync(promtool, args, { cwd: opsDir, encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe('ops/prometheus-rules.yml', () => {
  it('names only deskbot_* metrics that src/metrics.ts registers', async () => {
    const used = [...new Set(fs.readFileSync(rulesFile, 'utf8').match(/\bdeskbot_[a-z0-9_]+/g) ?? [])];
    const exported = new Set((await registry.getMetricsAsJSON()).map((metric) => metric.name));
    expect(used.length).toBeGreaterThan(5);
    expect(used.filter((name) => !exported.has(name))).toEqual([]);
  });

  describe.skipIf(!promtoolAvailable())('promtool', () => {
    it('check rules: the file is valid', () => {
      const result = run('check', 'rules', 'prometheus-rules.yml');
      expect(result.output).toMatch(/SUCCESS: \d+ rules found/);
      expect(result.status, result.output).toBe(0);
    });

    it('test rules: every alert fires and stays quiet where prometheus-rules.test.yml says', () => {
      const result = run('test', 'rules', 'prometheus-rules.test.yml');
      expect(result.status, result.output).toBe(0);
      expect(result.output).toContain('SUCCESS');
    });

    it('test rules fails on a broken rule (the check can fail)', () => {
      const broken = fs.mkdtempSync(path.join(os.tmpdir(), 'deskbot-rules-'));
      try {
        fs.writeFileSync(path.join(broken, 'prometheus-rules.yml'), fs.readFileSync(rulesFile, 'utf8').replace('> 600', '> 60000'));
        fs.copyFileSync(path.join(opsDir, 'prometheus-rules.test.yml'), path.join(broken, 'prometheus-rules.test.yml'));
        const result = spawnSync(promtool, ['test', 'rules', 'prometheus-rules.test.yml'], { cwd: broken, encoding: 'utf8', timeout: 60_000 });
        expect(result.status).not.toBe(0);
        expect(`${result.stdout}${result.stderr}`).toContain('DeskbotOutboxBacklog');
      } finally {
        fs.rmSync(broken, { recursive: true, force: true });
      }
    });
  });
});
