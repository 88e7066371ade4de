import type { RecordOutcome } from './record-transfer.js';

/** What one watcher pass did, for its log line and metrics. */
export interface ScanReport {
  head: number | null;
  scannedTo: number | null;
  credited: number;
  late: number;
  revived: number;
  reorged: number;
  confirmed: number;
  settled: number;
}

export function emptyReport(): ScanReport {
  return { head: null, scannedTo: null, credited: 0, late: 0, revived: 0, reorged: 0, confirmed: 0, settled: 0 };
}

export function tally(report: ScanReport, outcome: RecordOutcome): void {
  if (outcome !== 'known') report[outcome]++;
}

/** Whether the pass changed anything worth a log line. */
export function eventful(r: ScanReport): boolean {
  return r.credited + r.late + r.revived + r.reorged + r.confirmed > 0;
}
