/** What one fault run found: passed or not, each check, and the figures behind them. */
export interface FaultReport {
  fault: string;
  ok: boolean;
  checks: { name: string; ok: boolean; detail?: string }[];
  figures: Record<string, number | string>;
  /** Failures to report (e.g. sample hostile payloads that got a 5xx), kept short. */
  findings?: string[];
}

export class Checks {
  readonly checks: FaultReport['checks'] = [];
  readonly figures: FaultReport['figures'] = {};
  readonly findings: string[] = [];
  check(name: string, ok: boolean, detail?: string): void {
    this.checks.push(detail === undefined ? { name, ok } : { name, ok, detail });
  }
  figure(name: string, value: number | string): void {
    this.figures[name] = value;
  }
  finding(text: string): void {
    if (this.findings.length < 20) this.findings.push(text.slice(0, 3000));
  }
  report(fault: string): FaultReport {
    return {
      fault,
      ok: this.checks.every((c) => c.ok),
      checks: this.checks,
      figures: this.figures,
      ...(this.findings.length ? { findings: this.findings } : {}),
    };
  }
}

/** Human summary, then one JSON line (for scripts and docs/reliability.md). */
export function printReport(report: FaultReport): void {
  const lines = [`${report.ok ? 'PASS' : 'FAIL'} ${report.fault}`];
  for (const c of report.checks) lines.push(`  ${c.ok ? 'ok  ' : 'FAIL'} ${c.name}${c.detail ? ` (${c.detail})` : ''}`);
  for (const [k, v] of Object.entries(report.figures)) lines.push(`  ${k}: ${v}`);
  for (const f of report.findings ?? []) lines.push(`  finding: ${f}`);
  process.stdout.write(`${lines.join('\n')}\n${JSON.stringify(report)}\n`);
}
