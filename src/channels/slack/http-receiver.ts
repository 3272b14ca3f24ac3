// A Bolt receiver for Slack's HTTP deliveries (events, slash commands, interactivity) that runs on deskbot's own HTTP
// server as the route POST /slack/events. It verifies each request's v0 signature with Bolt's verifySlackRequest
// and the injected clock, refusing (401) anything unsigned, mis-signed or more than 5 minutes off; it leaves routing
// to the Bolt app and never starts a server of its own. Each signed body is checked by inbound-payload.ts first: a
// malformed one gets 400 and one nothing listens to an empty 200, both at once, so Bolt only sees shapes it handles.
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HTTPModuleFunctions, HTTPResponseAck, verifySlackRequest, type App, type Receiver, type ReceiverEvent } from '@slack/bolt';
import type { Logger } from '../../logger.ts';
import type { Clock } from '../../app/ports.ts';
import { createBoltLogger } from './bolt-logger.ts';
import { classifySlackPayload, type SlackRoutes } from './inbound-payload.ts';

/** Slack's replay window: requests whose timestamp is further than this from now are refused. */
export const maxRequestAgeMs = 5 * 60_000;

export interface SlackHttpReceiverOptions {
  signingSecret: string;
  clock: Clock;
  logger: Logger;
  /** What the Bolt app listens to; anything else is answered here without reaching Bolt. */
  routes: SlackRoutes;
  /** Largest accepted body (Bolt's default, 10 MB, is far beyond any Slack payload). */
  bodyLimit?: number;
  /** Called for each request refused by the signature check or, with "payload invalid", by the payload check (for metrics). */
  onRejected?: (reason: string) => void;
}

const headerOf = (request: IncomingMessage, name: string): string | undefined => {
  const value = request.headers[name];
  return Array.isArray(value) ? undefined : value;
};

/**
 * Listeners read this from Bolt's context: a SHA-256 of the signed timestamp and body, the same for a replay of the same
 * signed bytes and different for any other request (a dedupe key where Slack sends no trigger_id).
 */
export const requestHashKey = 'slackRequestHash';

export function slackRequestHash(timestamp: string, rawBody: string): string {
  return createHash('sha256').update(`${timestamp}:${rawBody}`).digest('hex');
}

export class SlackHttpReceiver implements Receiver {
  private app: App | undefined;
  /** Requests received and not yet answered: their ack() is still to come. */
  private pending = 0;
  private idleWaiters: Array<() => void> = [];
  private readonly log: Logger;
  private readonly boltLogger: ReturnType<typeof createBoltLogger>;

  constructor(private readonly options: SlackHttpReceiverOptions) {
    this.log = options.logger.child({ component: 'slack-http' });
    this.boltLogger = createBoltLogger(options.logger);
  }

  init(app: App): void {
    this.app = app;
  }

  /** The route lives on deskbot's server; nothing to start or stop. */
  async start(): Promise<void> {}

  async stop(): Promise<void> {}

  /** Why a request is refused, or null when its signature and timestamp are good. */
  verify(request: IncomingMessage, rawBody: string): string | null {
    const signature = headerOf(request, 'x-slack-signature');
    const timestampText = headerOf(request, 'x-slack-request-timestamp');
    if (!signature || !timestampText) return 'signature headers missing';
    const timestamp = Number(timestampText);
    if (!Number.isInteger(timestamp)) return 'timestamp unreadable';
    const nowMs = this.options.clock.now().getTime();
    // verifySlackRequest refuses old requests; one from the future is refused here too.
    if (timestamp * 1000 - nowMs > maxRequestAgeMs) return 'timestamp in the future';
    try {
      verifySlackRequest({
        signingSecret: this.options.signingSecret,
        body: rawBody,
        headers: { 'x-slack-signature': signature, 'x-slack-request-timestamp': timestamp },
        nowMilliseconds: nowMs,
      });
      return null;
    } catch (error) {
      return (error as Error).message.replace(/^Failed to verify authenticity: /, '');
    }
  }

  /**
   * Resolves when no Slack request is waiting for its answer, or after `maxWaitMs`: work that follows an ack() waits
   * here so it never delays the acks of requests that are still arriving (Slack allows 3 seconds).
   */
  whenIdle(maxWaitMs: number): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.idleWaiters = this.idleWaiters.filter((waiter) => waiter !== done);
        resolve();
      };
      const timer = setTimeout(done, maxWaitMs);
      this.idleWaiters.push(done);
    });
  }

  /** The handler of POST /slack/events. */
  readonly requestListener = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    this.pending += 1;
    response.once('close', () => {
      this.pending -= 1;
      if (this.pending === 0) for (const waiter of [...this.idleWaiters]) waiter();
    });
    let buffered: Awaited<ReturnType<typeof HTTPModuleFunctions.bufferIncomingMessage>>;
    try {
      buffered = await HTTPModuleFunctions.bufferIncomingMessage(request, this.options.bodyLimit ?? 1024 * 1024);
    } catch (error) {
      const tooLarge = HTTPModuleFunctions.isRawBodyError(error) && (error.type === 'entity.too.large' || error.statusCode === 413);
      this.log.warn({ event: 'slack-body-unreadable', tooLarge }, 'could not read a Slack request body');
      HTTPModuleFunctions.buildNoBodyResponse(response, tooLarge ? 413 : 400);
      return;
    }
    const rawBody = buffered.rawBody.toString('utf8');
    const contentType = headerOf(request, 'content-type') ?? '';
    // Slack's ssl_check carries no signature and no payload worth reading.
    if (contentType.startsWith('application/x-www-form-urlencoded') && new URLSearchParams(rawBody).get('ssl_check') === '1') {
      HTTPModuleFunctions.buildSSLCheckResponse(response);
      return;
    }
    const refused = this.verify(request, rawBody);
    if (refused) {
      this.log.warn({ event: 'slack-signature-invalid', reason: refused }, 'refused a Slack request that failed verification');
      this.options.onRejected?.(refused);
      HTTPModuleFunctions.buildNoBodyResponse(response, 401);
      return;
    }
    let parsedBody: unknown;
    try {
      parsedBody = HTTPModuleFunctions.parseHTTPRequestBody(buffered);
    } catch {
      this.log.warn({ event: 'slack-body-malformed' }, 'a signed Slack request had a malformed body');
      HTTPModuleFunctions.buildNoBodyResponse(response, 400);
      return;
    }
    const challenge = parsedBody as { type?: unknown; challenge?: unknown } | null;
    if (challenge?.type === 'url_verification' && typeof challenge.challenge === 'string') {
      HTTPModuleFunctions.buildUrlVerificationResponse(response, { challenge: challenge.challenge });
      return;
    }
    const verdict = classifySlackPayload(parsedBody, this.options.routes);
    if (verdict.kind === 'reject') {
      this.log.warn({ event: 'slack-payload-invalid', reason: verdict.reason }, 'refused a signed Slack request of a shape deskbot does not handle');
      this.options.onRejected?.('payload invalid');
      HTTPModuleFunctions.buildNoBodyResponse(response, 400);
      return;
    }
    if (verdict.kind === 'ignore') {
      this.log.info({ event: 'slack-payload-ignored', reason: verdict.reason }, 'answered a Slack request nothing listens to');
      HTTPModuleFunctions.buildNoBodyResponse(response, 200);
      return;
    }
    const body = verdict.body;
    const ack = new HTTPResponseAck({
      logger: this.boltLogger,
      processBeforeResponse: false,
      httpRequest: buffered,
      httpRequestBody: body,
      httpResponse: response,
    });
    const event: ReceiverEvent = {
      body,
      ack: ack.bind(),
      retryNum: HTTPModuleFunctions.extractRetryNumFromHTTPRequest(request),
      retryReason: HTTPModuleFunctions.extractRetryReasonFromHTTPRequest(request),
      customProperties: { [requestHashKey]: slackRequestHash(headerOf(request, 'x-slack-request-timestamp') ?? '', rawBody) },
    };
    try {
      await this.app?.processEvent(event);
    } catch (error) {
      this.log.error({ event: 'slack-dispatch-failed', err: error }, 'Bolt failed to process a Slack request');
      if (!response.headersSent) HTTPModuleFunctions.buildNoBodyResponse(response, 500);
    }
  };
}
