import type { BenchSection } from './BenchSection';

// ---- console -------------------------------------------------------------------------

/** Display width of a string in a terminal (combining marks count 0, the rest 1). */
function width(text: string): number {
  return [...text.normalize('NFC')].filter((ch) => !/\p{Mn}/u.test(ch)).length;
}

const pad = (text: string, size: number, right: boolean): string => {
  const fill = ' '.repeat(Math.max(0, size - width(text)));
  return right ? fill + text : text + fill;
};

/** A cell that reads as a number (right-aligned): "12", "1.5", "3.2×", "~40 ms", "—". */
const numeric = (cell: string): boolean => /^[~≈<>≤≥+-]?\s*[\d.,]+\s*(×|%|[a-zµ/]+( \S+)?)?$|^—$/i.test(cell.trim());

/** An aligned plain-text table: header, rule, rows; numeric columns right-aligned. */
export function textTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const columns = headers.length;
  const sizes = headers.map((header, i) => Math.max(width(header), ...rows.map((row) => width(row[i] ?? ''))));
  const right = headers.map((_, i) => rows.length > 0 && rows.every((row) => numeric(row[i] ?? '')));
  const line = (cells: readonly string[]): string =>
    Array.from({ length: columns }, (_, i) => pad(cells[i] ?? '', sizes[i] ?? 0, right[i] ?? false))
      .join('  ')
      .trimEnd();
  return [line(headers), sizes.map((size) => '─'.repeat(size)).join('  '), ...rows.map(line)].join('\n');
}

/** A section as console text: title, table, targets with ✔/✘, notes. */
export function formatConsole(section: BenchSection): string {
  const out = [`\n${section.title}`, '═'.repeat(width(section.title)), textTable(section.headers, section.rows)];
  if (section.targets.length > 0) {
    out.push('', 'Targets:');
    for (const t of section.targets) out.push(`  ${t.met ? '✔' : '✘'} ${t.target}: ${t.measured}`);
  }
  if (section.notes !== undefined && section.notes.length > 0) {
    out.push('', 'Notes:');
    for (const note of section.notes) out.push(`  - ${plain(note)}`);
  }
  if (section.files !== undefined && section.files.length > 0) out.push('', `Wrote: ${section.files.join(', ')}`);
  return out.join('\n');
}

/** Markdown reduced to what reads well in a terminal: no backticks, links as their text. */
function plain(markdown: string): string {
  return markdown
    .replace(/`([^`]*)`/g, '$1')
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/\*\*([^*]*)\*\*/g, '$1');
}

// ---- markdown ------------------------------------------------------------------------

const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** A GitHub-flavoured markdown table; numeric columns right-aligned. */
export function markdownTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const right = headers.map((_, i) => rows.length > 0 && rows.every((row) => numeric(row[i] ?? '')));
  return [
    `| ${headers.map(cell).join(' | ')} |`,
    `|${right.map((r) => (r ? '---:' : '---')).join('|')}|`,
    ...rows.map((row) => `| ${headers.map((_, i) => cell(row[i] ?? '')).join(' | ')} |`),
  ].join('\n');
}

/** One section as markdown, at heading level `##`; `measured` (when and how) goes under the heading. */
export function formatMarkdownSection(section: BenchSection, measured?: string): string {
  const out = [`## ${section.title}`, ''];
  if (measured !== undefined) out.push(`_${measured}_`, '');
  out.push(section.method, '', markdownTable(section.headers, section.rows));
  if (section.targets.length > 0) {
    out.push('', '**Targets**', '');
    for (const t of section.targets)
      out.push(`- ${t.met ? '✔' : '✘ **missed**:'} ${t.target} — measured ${t.measured}`);
  }
  const charts = (section.files ?? []).filter((file) => file.endsWith('.svg'));
  for (const file of charts) out.push('', `![${section.title}](${file})`);
  if (section.notes !== undefined && section.notes.length > 0) {
    out.push('', '**Notes**', '');
    for (const note of section.notes) out.push(`- ${note}`);
  }
  const others = (section.files ?? []).filter((file) => !file.endsWith('.svg'));
  if (others.length > 0) out.push('', `Files: ${others.map((f) => `[${f}](${f})`).join(', ')}`);
  return out.join('\n');
}

/** The machine a run happened on, as reported in RESULTS.md. */
export interface MachineInfo {
  readonly node: string;
  readonly platform: string;
  readonly cpuModel: string;
  readonly cpuCount: number;
  readonly totalMemoryBytes: number;
}

/** A failed section: its name and the error, reported instead of its table. */
export interface FailedSection {
  readonly name: string;
  readonly error: string;
}

/** A section measured in this run, under the name `--only` knows it by. */
export interface NamedSection {
  readonly name: string;
  readonly section: BenchSection;
}

/** A section of an earlier RESULTS.md, not run this time: its markdown, kept as it was. */
export interface KeptSection {
  readonly name: string;
  readonly markdown: string;
}

export interface ReportInput {
  readonly date: Date;
  readonly machine: MachineInfo;
  readonly command: string;
  /** The checkout measured ("abc1234", "abc1234 with uncommitted changes"), when git can tell. */
  readonly revision?: string | undefined;
  readonly sections: readonly NamedSection[];
  readonly failed: readonly FailedSection[];
  /** Sections not run this time (`--only`) whose earlier results are kept. */
  readonly kept: readonly KeptSection[];
  /** Every section name, in report order. */
  readonly order: readonly string[];
}

// Each section of RESULTS.md sits between these markers, so that a run of some sections
// (`--only`) replaces those and keeps the others' earlier results.
const open = (name: string): string => `<!-- bench-section: ${name} -->`;
const close = (name: string): string => `<!-- /bench-section: ${name} -->`;

/** The sections of an earlier RESULTS.md, by name (a file without markers has none). */
export function parseSections(markdown: string): KeptSection[] {
  const kept: KeptSection[] = [];
  const pattern = /<!-- bench-section: (\w+) -->\n([\s\S]*?)\n<!-- \/bench-section: \1 -->/g;
  for (const match of markdown.matchAll(pattern)) kept.push({ name: match[1] ?? '', markdown: match[2] ?? '' });
  return kept;
}

/** The targets a kept section's markdown reports: how many, and the missed ones as "title: target". */
function keptTargets(kept: KeptSection): { count: number; missed: string[] } {
  const title = /^## (.*)$/m.exec(kept.markdown)?.[1] ?? kept.name;
  let count = 0;
  const missed: string[] = [];
  for (const line of kept.markdown.split('\n')) {
    if (line.startsWith('- ✔ ')) count += 1;
    const miss = /^- ✘ \*\*missed\*\*: (.*) — measured /.exec(line);
    if (miss !== null) {
      count += 1;
      missed.push(`${title}: ${miss[1] ?? ''}`);
    }
  }
  return { count, missed };
}

const utc = (date: Date): string =>
  date
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, ' UTC');

/** bench/RESULTS.md. */
export function formatMarkdownReport(input: ReportInput): string {
  const { machine } = input;
  const gib = (machine.totalMemoryBytes / 2 ** 30).toFixed(1);
  const at = input.revision === undefined ? '' : ` on ${input.revision}`;
  const measured = `Measured ${utc(input.date)} with \`${input.command}\`${at}, Node.js ${machine.node}.`;
  const blocks: string[] = [];
  let targets = 0;
  const missed: string[] = [];
  const keptNames: string[] = [];
  for (const name of input.order) {
    const ran = input.sections.find((s) => s.name === name);
    const failed = input.failed.find((f) => f.name === name);
    const kept = input.kept.find((k) => k.name === name);
    let body: string | undefined;
    if (ran !== undefined) {
      body = formatMarkdownSection(ran.section, measured);
      targets += ran.section.targets.length;
      for (const t of ran.section.targets) if (!t.met) missed.push(`${ran.section.title}: ${t.target}`);
    } else if (failed !== undefined) {
      body = [`## ${failed.name}: failed`, '', `_${measured}_`, '', '```', failed.error.trimEnd(), '```'].join('\n');
    } else if (kept !== undefined) {
      body = kept.markdown;
      keptNames.push(name);
      const counted = keptTargets(kept);
      targets += counted.count;
      missed.push(...counted.missed);
    }
    if (body !== undefined) blocks.push([open(name), body, close(name)].join('\n'));
  }
  const out = [
    '# ogpu-events benchmark results',
    '',
    `- **Date:** ${utc(input.date)}`,
    `- **Machine:** Node.js ${machine.node} on ${machine.platform}, ${machine.cpuCount} × ${machine.cpuModel}, ` +
      `${gib} GiB RAM`,
    `- **Command:** \`${input.command}\``,
    '',
    'The machine is shared and its timings are noisy: compare the ratios between designs measured in the same run, ' +
      'not absolute times across runs. How each section measures is in [README.md](README.md).',
  ];
  if (keptNames.length > 0)
    out.push(
      '',
      `Not run this time (\`--only\`), kept from earlier runs: ${keptNames.join(', ')}. Each section says when ` +
        'and with which command it was measured.',
    );
  out.push(
    '',
    missed.length === 0
      ? `All ${targets} targets met.`
      : `**${missed.length} of ${targets} targets missed:** ${missed.join('; ')}.`,
  );
  for (const block of blocks) out.push('', block);
  return `${out.join('\n')}\n`;
}

// ---- SVG -----------------------------------------------------------------------------

export interface ChartSeries {
  readonly name: string;
  /** One value per x position; undefined or non-positive (on a log axis) leaves a gap. */
  readonly values: readonly (number | undefined)[];
  readonly color: string;
  /** Drawn dashed. */
  readonly dashed?: boolean;
  /** Point marker; default circle. */
  readonly marker?: 'circle' | 'square' | 'triangle' | 'diamond';
}

export interface LineChartOptions {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  /** The x positions, evenly spaced, labelled as given. */
  readonly xs: readonly string[];
  readonly series: readonly ChartSeries[];
  /** Logarithmic y axis (decades); default true. */
  readonly logY?: boolean;
  readonly width?: number;
  readonly height?: number;
  /** Room right of the plot for the legend, px; default 200. */
  readonly legendWidth?: number;
}

const escapeXml = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Tick label of a y value: 1, 10, 100, 1k, 10k, 0.1. */
function tickLabel(value: number): string {
  if (value >= 1e6) return `${Number((value / 1e6).toPrecision(3))}M`;
  if (value >= 1e3) return `${Number((value / 1e3).toPrecision(3))}k`;
  return String(Number(value.toPrecision(3)));
}

/** Round-ish linear ticks from 0 to at least `max`. */
function linearTicks(max: number): number[] {
  const raw = max / 5;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? raw;
  return Array.from({ length: Math.ceil(max / step) + 1 }, (_, i) => i * step);
}

function markerSvg(
  marker: NonNullable<ChartSeries['marker']>,
  x: number,
  y: number,
  color: string,
  hollow: boolean,
): string {
  const [cx, cy] = [x.toFixed(1), y.toFixed(1)];
  const paint = hollow ? `fill="none" stroke="${color}" stroke-width="1.8"` : `fill="${color}"`;
  switch (marker) {
    case 'circle':
      return `<circle cx="${cx}" cy="${cy}" r="4.5" ${paint}/>`;
    case 'square':
      return `<rect x="${(x - 4).toFixed(1)}" y="${(y - 4).toFixed(1)}" width="8" height="8" ${paint}/>`;
    case 'triangle':
      return `<polygon points="${cx},${(y - 5.5).toFixed(1)} ${(x + 5).toFixed(1)},${(y + 3.5).toFixed(1)} ${(x - 5).toFixed(1)},${(y + 3.5).toFixed(1)}" ${paint}/>`;
    case 'diamond':
      return `<polygon points="${cx},${(y - 5.5).toFixed(1)} ${(x + 5.5).toFixed(1)},${cy} ${cx},${(y + 5.5).toFixed(1)} ${(x - 5.5).toFixed(1)},${cy}" ${paint}/>`;
  }
}

/**
 * A self-contained SVG line chart (no scripts, no external fonts): evenly spaced
 * categorical x positions, a log (decades) or linear y axis, a marker and a value label per
 * point, a legend. Good enough for a handful of series over a handful of sizes.
 */
export function lineChartSvg(options: LineChartOptions): string {
  const W = options.width ?? 720;
  const H = options.height ?? 440;
  const logY = options.logY ?? true;
  const left = 78;
  const right = options.legendWidth ?? 200;
  const top = 48;
  const bottom = 64;
  const plotW = W - left - right;
  const plotH = H - top - bottom;

  const values = options.series.flatMap((s) => s.values).filter((v): v is number => v !== undefined && v > 0);
  const maxValue = values.length > 0 ? Math.max(...values) : 1;
  const minValue = values.length > 0 ? Math.min(...values) : 1;

  let yTicks: number[];
  let yOf: (value: number) => number;
  if (logY) {
    const lo = Math.floor(Math.log10(minValue));
    const hi = Math.max(lo + 1, Math.ceil(Math.log10(maxValue)));
    yTicks = Array.from({ length: hi - lo + 1 }, (_, i) => 10 ** (lo + i));
    // A little room below the lowest decade, so that points on it do not sit on the axis.
    const bottomRoom = 0.12;
    yOf = (v) => top + plotH - ((Math.log10(v) - lo + bottomRoom) / (hi - lo + bottomRoom)) * plotH;
  } else {
    yTicks = linearTicks(maxValue);
    const hi = yTicks[yTicks.length - 1] ?? 1;
    yOf = (v) => top + plotH - (v / hi) * plotH;
  }
  const n = options.xs.length;
  const xOf = (i: number): number => left + (n <= 1 ? plotW / 2 : 24 + (i * (plotW - 48)) / (n - 1));

  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" ` +
      `font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="#ffffff"/>`,
    `<text x="${W / 2}" y="24" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(options.title)}</text>`,
  ];
  // Grid and y axis.
  for (const tick of yTicks) {
    const y = yOf(tick).toFixed(1);
    parts.push(
      `<line x1="${left}" y1="${y}" x2="${left + plotW}" y2="${y}" stroke="#e3e3e3"/>`,
      `<text x="${left - 8}" y="${y}" text-anchor="end" dominant-baseline="middle" fill="#444">${tickLabel(tick)}</text>`,
    );
  }
  parts.push(
    `<line x1="${left}" y1="${top}" x2="${left}" y2="${top + plotH}" stroke="#333"/>`,
    `<line x1="${left}" y1="${top + plotH}" x2="${left + plotW}" y2="${top + plotH}" stroke="#333"/>`,
  );
  // X axis.
  options.xs.forEach((label, i) => {
    const x = xOf(i).toFixed(1);
    parts.push(
      `<line x1="${x}" y1="${top + plotH}" x2="${x}" y2="${top + plotH + 5}" stroke="#333"/>`,
      `<text x="${x}" y="${top + plotH + 20}" text-anchor="middle" fill="#444">${escapeXml(label)}</text>`,
    );
  });
  parts.push(
    `<text x="${left + plotW / 2}" y="${H - 16}" text-anchor="middle">${escapeXml(options.xLabel)}</text>`,
    `<text x="20" y="${top + plotH / 2}" text-anchor="middle" transform="rotate(-90 20 ${top + plotH / 2})">` +
      `${escapeXml(options.yLabel)}${logY ? ' (log scale)' : ''}</text>`,
  );
  // Series: the first one drawn last, on top; value labels stacked where points coincide.
  const labels = new Map<number, { y: number; text: string; color: string; order: number }[]>();
  // Dashed series go on top of solid ones, hollow-marked, so that one coinciding with a solid
  // series still shows.
  const drawOrder = [...options.series.entries()]
    .reverse()
    .sort(([, a], [, b]) => Number(a.dashed === true) - Number(b.dashed === true));
  for (const [order, series] of drawOrder) {
    const points = series.values
      .map((v, i) => (v !== undefined && (v > 0 || !logY) ? { i, x: xOf(i), y: yOf(v), v } : undefined))
      .filter((p) => p !== undefined);
    const dash = series.dashed === true ? ' stroke-dasharray="7 5"' : '';
    if (points.length > 1)
      parts.push(
        `<polyline fill="none" stroke="${series.color}" stroke-width="2.5"${dash} points="${points
          .map((p) => `${p.x.toFixed(1)},${p.y.toFixed(1)}`)
          .join(' ')}"/>`,
      );
    for (const p of points) {
      parts.push(markerSvg(series.marker ?? 'circle', p.x, p.y, series.color, series.dashed === true));
      const list = labels.get(p.i) ?? [];
      list.push({ y: p.y, text: tickLabel(p.v), color: series.color, order });
      labels.set(p.i, list);
    }
  }
  for (const [i, list] of labels) {
    // Top to bottom; a value shown by several series at the same point is labelled once.
    list.sort((a, b) => a.y - b.y || a.order - b.order);
    let previous: { y: number; rawY: number; text: string } | undefined;
    for (const label of list) {
      if (previous !== undefined && previous.text === label.text && Math.abs(previous.rawY - label.y) < 4) continue;
      const y = Math.max(label.y - 8, (previous?.y ?? -Infinity) + 12);
      previous = { y, rawY: label.y, text: label.text };
      parts.push(
        `<text x="${(xOf(i) + 8).toFixed(1)}" y="${y.toFixed(1)}" font-size="10.5" fill="${label.color}" stroke="#ffffff" stroke-width="3" paint-order="stroke">${label.text}</text>`,
      );
    }
  }
  // Legend.
  const lx = left + plotW + 24;
  options.series.forEach((series, i) => {
    const y = top + 10 + i * 22;
    const dash = series.dashed === true ? ' stroke-dasharray="7 5"' : '';
    parts.push(
      `<line x1="${lx}" y1="${y}" x2="${lx + 26}" y2="${y}" stroke="${series.color}" stroke-width="2.5"${dash}/>`,
      markerSvg(series.marker ?? 'circle', lx + 13, y, series.color, series.dashed === true),
      `<text x="${lx + 34}" y="${y}" dominant-baseline="middle">${escapeXml(series.name)}</text>`,
    );
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
