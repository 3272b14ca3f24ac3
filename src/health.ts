// What /healthz reports: each part of deskbot (database, IMAP, SMTP, Slack, ...) sets its own state.
export type PartState = 'ok' | 'degraded' | 'down' | 'off';

export interface PartHealth {
  state: PartState;
  detail?: string;
  since: string;
}

export class HealthRegistry {
  private readonly parts = new Map<string, PartHealth>();

  constructor(private readonly now: () => Date = () => new Date()) {}

  set(part: string, state: PartState, detail?: string): void {
    const current = this.parts.get(part);
    if (current && current.state === state && current.detail === detail) return;
    this.parts.set(part, { state, ...(detail ? { detail } : {}), since: this.now().toISOString() });
  }

  get(part: string): PartHealth | undefined {
    return this.parts.get(part);
  }

  /** ok: all parts ok or off; degraded: some part degraded/down but the database is up; down: the database is down. */
  report(): { status: 'ok' | 'degraded' | 'down'; parts: Record<string, PartHealth> } {
    const parts = Object.fromEntries(this.parts);
    const states = [...this.parts.values()].map((part) => part.state);
    const status = this.parts.get('database')?.state === 'down' ? 'down' : states.some((state) => state === 'degraded' || state === 'down') ? 'degraded' : 'ok';
    return { status, parts };
  }
}
