// Prometheus metrics (prom-client), every name prefixed `deskbot_`. One registry per process, served at GET /metrics.
// Components increment what they own; gauges that need the database are collected on scrape.
import client from 'prom-client';

export const registry = new client.Registry();
client.collectDefaultMetrics({ register: registry, prefix: 'deskbot_' });

export const metrics = {
  messagesReceived: new client.Counter({
    name: 'deskbot_messages_received_total',
    help: 'Inbound messages by how they ended (ticket, reply, rejected, ignored, quarantined, bounce, duplicate)',
    labelNames: ['outcome'] as const,
    registers: [registry],
  }),
  ticketsOpened: new client.Counter({
    name: 'deskbot_tickets_opened_total',
    help: 'Tickets opened, by severity',
    labelNames: ['severity'] as const,
    registers: [registry],
  }),
  acknowledgementLatency: new client.Histogram({
    name: 'deskbot_acknowledgement_latency_seconds',
    help: 'Time from the intake commit of a request (its acknowledgement enqueued) to the SMTP server accepting the acknowledgement',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300],
    registers: [registry],
  }),
  slaWarnings: new client.Counter({
    name: 'deskbot_sla_warnings_total',
    help: 'SLA warnings fired, by target',
    labelNames: ['target'] as const,
    registers: [registry],
  }),
  slaBreaches: new client.Counter({
    name: 'deskbot_sla_breaches_total',
    help: 'SLA breaches fired, by target',
    labelNames: ['target'] as const,
    registers: [registry],
  }),
  slackErrors: new client.Counter({
    name: 'deskbot_slack_errors_total',
    help: 'Slack Web API failures, by method and error',
    labelNames: ['method', 'error'] as const,
    registers: [registry],
  }),
  smtpErrors: new client.Counter({
    name: 'deskbot_smtp_errors_total',
    help: 'SMTP delivery failures, by error code',
    labelNames: ['code'] as const,
    registers: [registry],
  }),
  outboxDelivered: new client.Counter({
    name: 'deskbot_outbox_delivered_total',
    help: 'Outbox items delivered, by channel and kind',
    labelNames: ['channel', 'kind'] as const,
    registers: [registry],
  }),
  outboxFailures: new client.Counter({
    name: 'deskbot_outbox_failures_total',
    help: 'Outbox delivery attempts that failed, by channel and retryability',
    labelNames: ['channel', 'retryable'] as const,
    registers: [registry],
  }),
  imapConnected: new client.Gauge({
    name: 'deskbot_imap_connected',
    help: '1 while the IMAP intake holds a live connection (IDLE or fetching), else 0',
    registers: [registry],
  }),
  imapLeader: new client.Gauge({ name: 'deskbot_imap_leader', help: '1 in the process that holds the IMAP intake lock', registers: [registry] }),
  intakeErrors: new client.Counter({
    name: 'deskbot_intake_errors_total',
    help: 'Inbound messages whose handling threw, by error code',
    labelNames: ['code'] as const,
    registers: [registry],
  }),
  inboundHandled: new client.Counter({
    name: 'deskbot_inbound_handled_total',
    help: 'Stored inbound messages this process handled (any process may), by process (host:pid) and outcome',
    labelNames: ['process', 'outcome'] as const,
    registers: [registry],
  }),
  housekeepingPasses: new client.Counter({
    name: 'deskbot_database_housekeeping_passes_total',
    help: 'Vacuum passes over the embedded database (PGlite has no autovacuum)',
    registers: [registry],
  }),
  housekeepingReclaimedBytes: new client.Counter({
    name: 'deskbot_database_housekeeping_reclaimed_bytes_total',
    help: 'Bytes the embedded database shrank by in vacuum passes',
    registers: [registry],
  }),
  housekeepingFailures: new client.Counter({
    name: 'deskbot_database_housekeeping_failures_total',
    help: 'Vacuum passes over the embedded database that failed',
    registers: [registry],
  }),
  duplicateAcknowledgements: new client.Counter({
    name: 'deskbot_duplicate_acknowledgements_total',
    help: 'Acknowledgements delivered again after an earlier attempt ended unrecorded (a crash between SMTP accept and marking it sent may have sent it twice)',
    registers: [registry],
  }),
};

export interface OutboxDepth {
  channel: string;
  pending: number;
  oldestAgeSeconds: number;
}

let outboxDepthSource: (() => Promise<OutboxDepth[]>) | undefined;

/** Lets serve() supply the outbox numbers, read from the database on each scrape. */
export function setOutboxDepthSource(source: (() => Promise<OutboxDepth[]>) | undefined): void {
  outboxDepthSource = source;
}

new client.Gauge({
  name: 'deskbot_outbox_depth',
  help: 'Outbox items waiting to be delivered, by channel',
  labelNames: ['channel'] as const,
  registers: [registry],
  async collect() {
    this.reset();
    for (const row of (await outboxDepthSource?.().catch(() => [])) ?? []) this.set({ channel: row.channel }, row.pending);
  },
});

new client.Gauge({
  name: 'deskbot_outbox_oldest_age_seconds',
  help: 'Age of the oldest undelivered outbox item, by channel',
  labelNames: ['channel'] as const,
  registers: [registry],
  async collect() {
    this.reset();
    for (const row of (await outboxDepthSource?.().catch(() => [])) ?? []) this.set({ channel: row.channel }, row.oldestAgeSeconds);
  },
});
