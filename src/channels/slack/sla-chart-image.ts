// Draws the weekly SLA attainment of an SLA report as an SVG bar chart and renders it to PNG with resvg, using the
// DejaVu Sans files shipped by the dejavu-fonts-ttf package (no system fonts: the PNG looks the same on every machine).
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Resvg } from '@resvg/resvg-js';
import { slaTargetLabels, type SlaTarget } from '../../domain/sla/index.ts';
import type { AttainmentCount, SlaReport } from '../../app/sla-report.ts';

const series: ReadonlyArray<{ target: SlaTarget; label: string; colour: string }> = [
  { target: 'initial-response', label: slaTargetLabels['initial-response'], colour: '#2b6cb0' },
  { target: 'progress-update', label: slaTargetLabels['progress-update'], colour: '#d69e2e' },
  { target: 'resolution', label: slaTargetLabels.resolution, colour: '#38a169' },
];

const WIDTH = 1000;
const HEIGHT = 560;
const PLOT = { left: 70, right: 30, top: 125, bottom: 90 };

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (char) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[char]!);
}

function ratio(count: AttainmentCount): number | null {
  return count.due === 0 ? null : count.met / count.due;
}

function text(x: number, y: number, content: string, attributes = ''): string {
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${attributes}>${escapeXml(content)}</text>`;
}

/** The chart as SVG text: grouped bars (one per target) per ISO week, 0-100 %, with the number of due targets. */
export function slaAttainmentSvg(report: SlaReport): string {
  const plotWidth = WIDTH - PLOT.left - PLOT.right;
  const plotHeight = HEIGHT - PLOT.top - PLOT.bottom;
  const baseY = PLOT.top + plotHeight;
  const weeks = report.weeks;
  const groupWidth = plotWidth / Math.max(1, weeks.length);
  const barWidth = Math.min(40, (groupWidth * 0.8) / series.length);
  const showValues = barWidth >= 18;
  const labelEvery = Math.max(1, Math.ceil(70 / groupWidth));
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="DejaVu Sans">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`,
    text(PLOT.left, 38, 'SLA attainment per week', 'font-size="22" font-weight="bold" fill="#1a202c"'),
    text(
      PLOT.left,
      62,
      `Targets due each week and met on time, ${report.from.toISOString().slice(0, 10)} to ${report.to.toISOString().slice(0, 10)} (UTC weeks)`,
      'font-size="13" fill="#4a5568"',
    ),
  ];
  for (let percent = 0; percent <= 100; percent += 20) {
    const y = baseY - (plotHeight * percent) / 100;
    parts.push(
      `<line x1="${PLOT.left}" y1="${y.toFixed(1)}" x2="${WIDTH - PLOT.right}" y2="${y.toFixed(1)}" stroke="${percent === 0 ? '#4a5568' : '#e2e8f0'}" stroke-width="1"/>`,
    );
    parts.push(text(PLOT.left - 8, y + 4, `${percent}%`, 'font-size="12" fill="#4a5568" text-anchor="end"'));
  }
  series.forEach((entry, index) => {
    const x = PLOT.left + index * 160;
    parts.push(`<rect x="${x}" y="80" width="14" height="14" fill="${entry.colour}"/>`);
    parts.push(text(x + 20, 92, entry.label, 'font-size="13" fill="#1a202c"'));
  });
  weeks.forEach((week, index) => {
    const groupX = PLOT.left + index * groupWidth;
    const firstBarX = groupX + (groupWidth - barWidth * series.length) / 2;
    series.forEach((entry, seriesIndex) => {
      const value = ratio(week.targets[entry.target]);
      const x = firstBarX + seriesIndex * barWidth;
      if (value === null) {
        if (showValues) parts.push(text(x + barWidth / 2, baseY - 6, '–', 'font-size="11" fill="#a0aec0" text-anchor="middle"'));
        return;
      }
      const height = Math.max(1, plotHeight * value);
      parts.push(
        `<rect x="${(x + 1).toFixed(1)}" y="${(baseY - height).toFixed(1)}" width="${(barWidth - 2).toFixed(1)}" height="${height.toFixed(1)}" fill="${entry.colour}"/>`,
      );
      if (showValues)
        parts.push(text(x + barWidth / 2, baseY - height - 5, `${Math.round(value * 100)}`, 'font-size="11" fill="#1a202c" text-anchor="middle"'));
    });
    if (index % labelEvery === 0) {
      const centre = groupX + groupWidth / 2;
      parts.push(text(centre, baseY + 20, week.label.slice(5), 'font-size="13" fill="#1a202c" text-anchor="middle"'));
      parts.push(text(centre, baseY + 37, week.weekStart.toISOString().slice(5, 10), 'font-size="11" fill="#4a5568" text-anchor="middle"'));
      parts.push(text(centre, baseY + 54, `n=${week.total.due}`, 'font-size="11" fill="#4a5568" text-anchor="middle"'));
    }
  });
  if (weeks.every((week) => week.total.due === 0)) {
    parts.push(text(WIDTH / 2, PLOT.top + plotHeight / 2, 'No SLA targets fell due in this period', 'font-size="16" fill="#718096" text-anchor="middle"'));
  }
  parts.push(
    text(PLOT.left, HEIGHT - 12, 'Bars: % of targets due that week met by their due time; n = targets due; – = none due.', 'font-size="11" fill="#718096"'),
  );
  parts.push('</svg>');
  return parts.join('\n');
}

function fontFiles(): string[] {
  const dir = path.join(path.dirname(createRequire(import.meta.url).resolve('dejavu-fonts-ttf/package.json')), 'ttf');
  return ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf'].map((file) => path.join(dir, file));
}

/** Renders the chart to PNG bytes. */
export function renderSlaAttainmentPng(report: SlaReport): Buffer {
  const resvg = new Resvg(slaAttainmentSvg(report), {
    font: { fontFiles: fontFiles(), loadSystemFonts: false, defaultFontFamily: 'DejaVu Sans' },
    background: '#ffffff',
  });
  return resvg.render().asPng();
}

/** Writes the chart PNG to `file` (folders created), returning its absolute path. */
export function writeSlaAttainmentPng(report: SlaReport, file: string): string {
  const target = path.resolve(file);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.writeFileSync(target, renderSlaAttainmentPng(report));
  return target;
}
