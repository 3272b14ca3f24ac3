// Delivers the outbox's Slack rows: each ticket's one triage-channel message (posted once, then kept current with
// chat.update), its thread replies, SLA warnings and breaches (managers by DM or channel), and charge notices to
// billing, and the SLA report (text and chart upload) to the managers. With Slack off it logs what it would post.
// Payloads are parsed with zod; rows that post several times record each finished post in SlackDelivery, so a retry
// after a partial failure repeats only what did not go out (a crash between a post and its record can still repeat
// that one post: delivery is at least once).
import fs from 'node:fs/promises';
import path from 'node:path';
import type { z } from 'zod';
import { DeskbotError } from '../../errors.ts';
import type { Logger } from '../../logger.ts';
import type { Policy } from '../../domain/policy.ts';
import type { OutboxHandler, OutboxItem } from '../../app/ports.ts';
import { slackPayloadSchemas, type SlackOutboxKind } from '../../app/outbox-messages.ts';
import type { Clock } from '../../app/ports.ts';
import type { PrismaClient } from '../../store/database.ts';
import { attachmentForUpload, conversationMessageOf, readBlob } from '../../store/conversation-repository.ts';
import { claimSlackDelivery, hasSlackDelivery, laterSlackRowQueued, loadTicketCard, setSlackMessage, type TicketCard } from '../../store/ticket-queries.ts';
import { eventText } from './blocks/event-message.ts';
import { escapeMrkdwn } from './escape.ts';
import { chargeNoticeText, closedThreadText, customerSuspendedText, slaAtRiskText, slaBreachText, slaWarningText } from './blocks/notices.ts';
import { partyOf, ticketMessage, type SlackMessage } from './blocks/ticket-message.ts';
import { attachmentLine, mailExcerpt } from './blocks/conversation.ts';
import { postFileBytes, type SlackApi } from './web-api.ts';

/** Where deskbot posts. */
export interface SlackDestinations {
  /** SLACK_TRIAGE_CHANNEL: one message per ticket, events in its thread. */
  triage?: string | undefined;
  /** SLACK_BILLING_CHANNEL: charge notices. */
  billing?: string | undefined;
  /** SLACK_MANAGERS: user IDs (U…/W…, sent by DM) and channel IDs (C…/G…) told of breaches. */
  managers: string[];
}

export interface SlackOutboxHandlerOptions {
  prisma: PrismaClient;
  policy: Policy;
  clock: Clock;
  logger: Logger;
  /** null: Slack is off, posts are logged. */
  api: SlackApi | null;
  destinations: SlackDestinations;
  /** SLACK_FILE_MAX_BYTES: larger attachments are listed by name and size instead of uploaded (default 20 MB). */
  fileMaxBytes?: number;
  /** SLACK_COMMAND, named where a thread post points to `show` (default /support). */
  command?: string;
}

type DeliveredKind = SlackOutboxKind;

/** The rows whose delivery ends with the ticket's message brought up to date (refreshParent). */
const cardRefreshingKinds: readonly DeliveredKind[] = ['ticket-opened', 'ticket-event', 'ticket-refresh', 'sla-warning', 'sla-breach', 'charge-notice'];

const postDefaults = { unfurl_links: false, unfurl_media: false };

export function createSlackOutboxHandler(options: SlackOutboxHandlerOptions): OutboxHandler {
  const { prisma, policy, clock, destinations } = options;
  const fileMaxBytes = options.fileMaxBytes ?? 20 * 1024 * 1024;
  const command = options.command ?? '/support';
  const log = options.logger.child({ component: 'slack-outbox' });
  const api = options.api;
  // Deliveries of one ticket run one at a time (the dispatcher runs several rows at once), so its message is posted once.
  const ticketLocks = new Map<number, Promise<unknown>>();

  const withTicketLock = <T>(ticketId: number, work: () => Promise<T>): Promise<T> => {
    const previous = ticketLocks.get(ticketId) ?? Promise.resolve();
    const run = previous.catch(() => undefined).then(work);
    const settled = run.catch(() => undefined);
    ticketLocks.set(ticketId, settled);
    void settled.then(() => {
      if (ticketLocks.get(ticketId) === settled) ticketLocks.delete(ticketId);
    });
    return run;
  };

  /** Runs one post of a row once: a retry of the row skips the posts that already went out. */
  const once = async (item: OutboxItem, step: string, post: () => Promise<void>) => {
    const key = `outbox:${item.id}:${step}`;
    if (await hasSlackDelivery(prisma, key)) return;
    await post();
    await claimSlackDelivery(prisma, key, clock.now());
  };

  const requireApi = (): SlackApi => api!;

  const post = async (channel: string, message: { text: string; blocks?: SlackMessage['blocks']; thread_ts?: string; reply_broadcast?: boolean }) =>
    requireApi().call('chat.postMessage', { channel, ...postDefaults, ...message });

  /** The ticket's triage message: posted now if it has none yet, else returned. Null when the ticket is gone. */
  const ensureParent = async (ticketId: number): Promise<{ card: TicketCard; channel: string; ts: string; fresh: boolean } | null> => {
    const card = await loadTicketCard(prisma, { id: ticketId });
    if (!card) return null;
    if (card.slackChannel && card.slackTs) return { card, channel: card.slackChannel, ts: card.slackTs, fresh: false };
    if (!destinations.triage) {
      throw new DeskbotError('CONFIG_INVALID', 'SLACK_TRIAGE_CHANNEL is not set; ticket messages cannot be posted', { details: { ticketId } });
    }
    const result = await post(destinations.triage, ticketMessage(card, { policy, now: clock.now() }));
    const channel = typeof result.channel === 'string' ? result.channel : destinations.triage;
    const ts = String(result.ts);
    await setSlackMessage(prisma, ticketId, { channel, ts });
    log.info({ event: 'slack-ticket-posted', ticketId, requestId: card.requestId, channel }, 'ticket message posted');
    return { card: { ...card, slackChannel: channel, slackTs: ts }, channel, ts, fresh: true };
  };

  /**
   * Brings the parent message up to date with the ticket as it is now, unless a later row of the ticket that does the
   * same is already queued: a close (its event, then the charge notice) costs one chat.update, not one per row
   * (chat.update is tier 3, ~50 a minute for the workspace).
   */
  const refreshParent = async (item: OutboxItem, parent: { card: TicketCard; channel: string; ts: string; fresh: boolean }) => {
    if (parent.fresh) return;
    if (await laterSlackRowQueued(prisma, parent.card.id, item.id, cardRefreshingKinds)) {
      log.debug({ event: 'slack-card-refresh-coalesced', outboxId: item.id, ticketId: parent.card.id }, 'a later row refreshes the ticket message');
      return;
    }
    const card = (await loadTicketCard(prisma, { id: parent.card.id })) ?? parent.card;
    await requireApi().call('chat.update', { channel: parent.channel, ts: parent.ts, ...ticketMessage(card, { policy, now: clock.now() }) });
  };

  const threadReply = (item: OutboxItem, parent: { channel: string; ts: string }, text: string, broadcast = false) =>
    once(item, 'thread', async () => {
      await post(parent.channel, { text, thread_ts: parent.ts, ...(broadcast ? { reply_broadcast: true } : {}) });
    });

  /** DMs go to the app's conversation with the user (conversations.open); channel IDs are used directly. */
  const channelOf = async (recipient: string): Promise<string> => {
    if (!/^[UW][A-Z0-9]+$/.test(recipient)) return recipient;
    const opened = await requireApi().call('conversations.open', { users: recipient });
    return String((opened.channel as { id?: string } | undefined)?.id ?? recipient);
  };

  const postToRecipient = async (recipient: string, text: string) => {
    await post(await channelOf(recipient), { text });
  };

  /**
   * Slack's upload flow (https://docs.slack.dev/messaging/working-with-files#upload): reserve an upload URL
   * (files.getUploadURLExternal), POST the bytes there (postFileBytes), then share the file (files.completeUploadExternal).
   */
  const uploadFile = async (
    share: { channel: string; threadTs?: string; comment?: string },
    file: { name: string; title: string; length: number; content: AsyncIterable<Buffer> },
  ): Promise<void> => {
    const reserved = await requireApi().call('files.getUploadURLExternal', { filename: file.name, length: file.length });
    const uploadUrl = String(reserved.upload_url ?? '');
    const fileId = String(reserved.file_id ?? '');
    if (!uploadUrl || !fileId) throw new DeskbotError('SLACK_API', 'files.getUploadURLExternal returned no upload_url', { retryable: true });
    await postFileBytes(uploadUrl, file.content, file.length);
    await requireApi().call('files.completeUploadExternal', {
      files: JSON.stringify([{ id: fileId, title: file.title }]),
      channel_id: share.channel,
      ...(share.threadTs ? { thread_ts: share.threadTs } : {}),
      ...(share.comment ? { initial_comment: share.comment } : {}),
    });
  };

  /** The chart of an SLA report, or null when none was rendered or its file is gone (the text still goes). */
  const readChart = async (chartPath: string | null): Promise<Buffer | null> => {
    if (!chartPath) return null;
    try {
      return await fs.readFile(chartPath);
    } catch (error) {
      log.warn({ event: 'sla-report-chart-missing', path: chartPath, err: error }, 'SLA report chart cannot be read; posting the text only');
      return null;
    }
  };

  const parse = <K extends SlackOutboxKind>(kind: K, payload: unknown): z.infer<(typeof slackPayloadSchemas)[K]> => {
    const parsed = slackPayloadSchemas[kind].safeParse(payload);
    if (!parsed.success) {
      throw new DeskbotError(
        'INTERNAL',
        `Slack outbox ${kind} payload is invalid: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`,
        {
          details: { kind },
        },
      );
    }
    return parsed.data as z.infer<(typeof slackPayloadSchemas)[K]>;
  };

  const logOnly = async (item: OutboxItem, kind: SlackOutboxKind) => {
    // The card is read for this log line only: not at all when the line would not be written (LOG_LEVEL above info).
    if (!log.isLevelEnabled('info')) return;
    const payload = slackPayloadSchemas[kind].safeParse(item.payload);
    const requestId = payload.success && 'requestId' in payload.data ? payload.data.requestId : undefined;
    let summary: string = kind;
    if (payload.success && 'ticketId' in payload.data) {
      const card = await loadTicketCard(prisma, { id: payload.data.ticketId });
      if (card) summary = ticketMessage(card, { policy, now: clock.now() }).text;
    }
    log.info({ event: 'slack-off-post', outboxId: item.id, kind, ticketId: item.ticketId, requestId, summary }, `Slack is off; would post ${kind}`);
  };

  const deliverers: Record<DeliveredKind, (item: OutboxItem) => Promise<void>> = {
    async 'sla-report'(item) {
      const payload = parse('sla-report', item.payload);
      if (destinations.managers.length === 0) {
        log.warn({ event: 'slack-managers-missing', from: payload.from, to: payload.to }, 'SLACK_MANAGERS is not set; the SLA report is not posted');
        return;
      }
      const heading = `*SLA report* ${payload.from.slice(0, 10)} to ${payload.to.slice(0, 10)}`;
      const text = payload.text ? `${heading}\n\`\`\`\n${escapeMrkdwn(payload.text.trimEnd())}\n\`\`\`` : heading;
      const chart = await readChart(payload.path);
      for (const recipient of destinations.managers) {
        await once(item, `report:${recipient}`, async () => {
          const channel = await channelOf(recipient);
          if (chart && payload.path) {
            const content = (async function* () {
              yield chart;
            })();
            const file = { name: path.basename(payload.path), title: 'SLA attainment per week', length: chart.length, content };
            await uploadFile({ channel, comment: text }, file);
          } else await post(channel, { text });
        });
      }
    },

    async 'ticket-opened'(item) {
      const payload = parse('ticket-opened', item.payload);
      await withTicketLock(payload.ticketId, async () => {
        const parent = await ensureParent(payload.ticketId);
        if (parent) await refreshParent(item, parent);
      });
    },

    async 'ticket-event'(item) {
      const payload = parse('ticket-event', item.payload);
      await withTicketLock(payload.ticketId, async () => {
        const event = await prisma.ticketEvent.findUnique({ where: { id: BigInt(payload.eventId) } });
        const parent = await ensureParent(payload.ticketId);
        if (!parent) return;
        if (event) {
          let detail = event.detail;
          const messageId = typeof (detail as { messageId?: unknown })?.messageId === 'string' ? (detail as { messageId: string }).messageId : undefined;
          if (event.type === 'mail-received' && messageId) {
            // The stored subject says which mail it was; the stored conversation gives its new text.
            const inbound = await prisma.inboundMessage.findUnique({ where: { messageId }, select: { subject: true } });
            if (inbound?.subject) detail = { ...(detail as object), subject: inbound.subject };
            const message = await conversationMessageOf(prisma, messageId);
            if (message) detail = { ...(detail as object), ...mailExcerpt(message.displayText, parent.card.requestId, command) };
          }
          await threadReply(item, parent, eventText({ type: event.type, at: event.at, actor: event.actor, detail }, policy));
        }
        await refreshParent(item, parent);
      });
    },

    async 'ticket-file'(item) {
      const payload = parse('ticket-file', item.payload);
      await withTicketLock(payload.ticketId, async () => {
        const attachment = await attachmentForUpload(prisma, payload.attachmentId);
        const parent = attachment ? await ensureParent(payload.ticketId) : null;
        if (!attachment || !parent) return;
        const filename = attachment.filename ?? `attachment-${attachment.id}`;
        if (attachment.sha256 === null || attachment.size > fileMaxBytes) {
          await threadReply(item, parent, attachmentLine(attachment, { requestId: parent.card.requestId, fileMaxBytes, command }));
          return;
        }
        const sha256 = attachment.sha256;
        await once(item, 'file', async () => {
          const file = { name: filename, title: filename, length: attachment.size, content: readBlob(prisma, sha256) };
          await uploadFile({ channel: parent.channel, threadTs: parent.ts }, file);
          log.info({ event: 'slack-file-uploaded', ticketId: payload.ticketId, attachmentId: attachment.id, size: attachment.size }, 'attachment uploaded');
        });
      });
    },

    async 'ticket-refresh'(item) {
      const payload = parse('ticket-refresh', item.payload);
      await withTicketLock(payload.ticketId, async () => {
        const parent = await ensureParent(payload.ticketId);
        if (parent) await refreshParent(item, parent);
      });
    },

    async 'sla-warning'(item) {
      const payload = parse('sla-warning', item.payload);
      await withTicketLock(payload.ticketId, async () => {
        const parent = await ensureParent(payload.ticketId);
        if (!parent) return;
        // Unassigned: broadcast the thread reply so it shows in the triage channel too.
        await threadReply(item, parent, slaWarningText(payload, clock.now()), payload.assigneeSlackId === null);
        // The managers hear of it before the breach too; a retry skips whoever was told.
        const atRisk = slaAtRiskText(payload, { party: partyOf(parent.card), severity: parent.card.severity }, policy, clock.now());
        for (const recipient of destinations.managers) {
          await once(item, `manager:${recipient}`, () => postToRecipient(recipient, atRisk));
        }
        await refreshParent(item, parent);
      });
    },

    async 'sla-breach'(item) {
      const payload = parse('sla-breach', item.payload);
      const text = slaBreachText(payload, policy);
      for (const recipient of destinations.managers) {
        await once(item, `manager:${recipient}`, () => postToRecipient(recipient, text));
      }
      await withTicketLock(payload.ticketId, async () => {
        const parent = await ensureParent(payload.ticketId);
        if (!parent) return;
        await threadReply(item, parent, text);
        await refreshParent(item, parent);
      });
    },

    async 'customer-suspended'(item) {
      const payload = parse('customer-suspended', item.payload);
      if (!destinations.triage) {
        log.warn({ event: 'slack-triage-channel-missing', customer: payload.customerKey }, 'no triage channel; suspended-customer notice not posted');
        return;
      }
      await once(item, 'triage', async () => {
        await post(destinations.triage!, { text: customerSuspendedText(payload) });
      });
    },

    async 'charge-notice'(item) {
      const payload = parse('charge-notice', item.payload);
      if (destinations.billing) {
        await once(item, 'billing', async () => {
          await post(destinations.billing!, { text: chargeNoticeText(payload) });
        });
      } else {
        log.warn(
          { event: 'slack-billing-channel-missing', requestId: payload.requestId },
          'SLACK_BILLING_CHANNEL is not set; charge notice only in the ticket thread',
        );
      }
      await withTicketLock(payload.ticketId, async () => {
        const parent = await ensureParent(payload.ticketId);
        if (!parent) return;
        await threadReply(item, parent, closedThreadText(payload));
        await refreshParent(item, parent);
      });
    },
  };

  return {
    // With Slack off, /healthz keeps part 'slack' = off instead of the dispatcher's ok/degraded.
    ...(api ? { healthPart: 'slack' } : {}),
    description: api ? 'Slack Web API' : 'Slack off: posts are logged',
    async deliver(item) {
      const kind = item.kind as DeliveredKind;
      if (!Object.hasOwn(deliverers, kind)) {
        throw new DeskbotError('INTERNAL', `Unknown Slack outbox kind "${item.kind}"`, { details: { kind: item.kind } });
      }
      if (!api) {
        await logOnly(item, kind);
        return;
      }
      await deliverers[kind](item);
    },
  };
}
