/**
 * One section of the benchmark report: what was measured, side by side, in one run.
 * Every bench module exports `run(options): Promise<BenchSection>`; bench/run.ts prints
 * the sections as tables and writes bench/RESULTS.md.
 */
export interface BenchSection {
  /** Heading, e.g. "Decode throughput". */
  readonly title: string;
  /** What was measured and how, one paragraph (markdown). */
  readonly method: string;
  /** Column headers of the table. */
  readonly headers: readonly string[];
  /** Table rows, already formatted. */
  readonly rows: readonly (readonly string[])[];
  /** The target and whether this run met it. */
  readonly targets: readonly { readonly target: string; readonly measured: string; readonly met: boolean }[];
  /** Further remarks (caveats, machine noise). */
  readonly notes?: readonly string[];
  /** Files the section wrote next to RESULTS.md (e.g. an SVG chart), relative to bench/. */
  readonly files?: readonly string[];
}

/** Options every bench module accepts. */
export interface BenchOptions {
  /** Repetitions whose median is reported. */
  readonly repeats: number;
  /** A smaller, faster run (CI smoke test, development): same code paths, smaller sizes. */
  readonly quick: boolean;
}
