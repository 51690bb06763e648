// The bench's table: one row per figure and metric (printed, and written to latest.json).
/** One line of the table (and of latest.json). */
export interface Row {
  figure: string;
  metric: string;
  value: number | string | null;
  unit: string;
  /** Measured in the same run, with what it is. */
  reference?: { label: string; value: number; unit: string };
  /** value / reference, or value / floor (figure 4). */
  ratio?: number;
  goal: string;
  /** null: no goal, or not measured. */
  met: boolean | null;
  note?: string;
}

export interface BenchOptions {
  quick: boolean;
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
