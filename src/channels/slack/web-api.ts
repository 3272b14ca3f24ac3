// Every Slack Web API call deskbot makes goes through here: paced by the rate limiter, with the WebClient's own
// retries off, and library errors translated into DeskbotError (SLACK_RATE_LIMITED / SLACK_API) at the boundary.
// Every text is cut to Slack's limits here (blocks/limits.ts). Leaves out what to post (blocks/) and when to retry (the
// outbox dispatcher reschedules retryable failures).
import http from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { webApi } from '@slack/bolt';
import { DeskbotError } from '../../errors.ts';
import type { Logger } from '../../logger.ts';
import { metrics } from '../../metrics.ts';
import { capMessage } from './blocks/limits.ts';
import { leanFetch } from './lean-fetch.ts';
import type { SlackMethod, SlackRateLimiter } from './rate-limiter.ts';

type WebClient = InstanceType<typeof webApi.WebClient>;

/** A Web API response: `ok` plus the method's fields. */
export type SlackResult = { ok: boolean; [field: string]: unknown };

export interface SlackApi {
  /**
   * Calls `method` once. Rejects with DeskbotError SLACK_RATE_LIMITED (retryable, retryAfterMs from Retry-After) on
   * HTTP 429, and SLACK_API otherwise (retryable for network errors, HTTP 5xx and Slack's transient error codes).
   */
  call(method: SlackMethod, args: Record<string, unknown>): Promise<SlackResult>;
}

/**
 * WebClient options deskbot always uses: one attempt per call, 429 rejected instead of waited out inside the client,
 * and the lean fetch (Bolt answers response_urls with it too).
 */
export function webClientOptions(slackApiUrl: string | undefined) {
  return {
    ...(slackApiUrl ? { slackApiUrl: slackApiUrl.endsWith('/') ? slackApiUrl : `${slackApiUrl}/` } : {}),
    fetch: leanFetch,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: 10_000,
  };
}

/** Slack error codes that a later attempt can clear (https://docs.slack.dev/reference/methods/chat.postMessage#errors). */
const transientPlatformErrors = new Set(['internal_error', 'fatal_error', 'service_unavailable', 'request_timeout', 'ratelimited', 'team_added_to_org']);

export function translateSlackError(error: unknown, method: string): DeskbotError {
  if (error instanceof DeskbotError) return error;
  const coded = error as { code?: string; retryAfter?: number; data?: { error?: string }; statusCode?: number };
  switch (coded?.code) {
    case webApi.ErrorCode.RateLimitedError: {
      const retryAfterMs = Math.max(1, Number(coded.retryAfter ?? 1)) * 1000;
      return new DeskbotError('SLACK_RATE_LIMITED', `Slack rate-limited ${method}; retry after ${retryAfterMs} ms`, {
        cause: error,
        retryable: true,
        retryAfterMs,
        details: { method },
      });
    }
    case webApi.ErrorCode.PlatformError: {
      const slackError = coded.data?.error ?? 'unknown_error';
      return new DeskbotError('SLACK_API', `Slack ${method} failed: ${slackError}`, {
        cause: error,
        retryable: transientPlatformErrors.has(slackError),
        details: { method, slackError },
      });
    }
    case webApi.ErrorCode.HTTPError:
      return new DeskbotError('SLACK_API', `Slack ${method} answered HTTP ${coded.statusCode}`, {
        cause: error,
        retryable: (coded.statusCode ?? 500) >= 500,
        details: { method, status: coded.statusCode },
      });
    case webApi.ErrorCode.RequestError:
      return new DeskbotError('SLACK_API', `Slack ${method} could not be reached`, { cause: error, retryable: true, details: { method } });
    default:
      return new DeskbotError('SLACK_API', `Slack ${method} failed: ${(error as Error)?.message ?? String(error)}`, {
        cause: error,
        retryable: true,
        details: { method },
      });
  }
}

export function createSlackWebApi(options: { client: WebClient; limiter: SlackRateLimiter; logger: Logger }): SlackApi {
  const log = options.logger.child({ component: 'slack-api' });
  return {
    async call(method, args) {
      const channel = typeof args.channel === 'string' ? args.channel : undefined;
      return options.limiter.schedule(method, channel, async () => {
        try {
          return (await options.client.apiCall(method, capMessage(args))) as SlackResult;
        } catch (error) {
          const translated = translateSlackError(error, method);
          metrics.slackErrors.inc({ method, error: String(translated.details?.slackError ?? translated.code) });
          if (translated.code === 'SLACK_RATE_LIMITED') options.limiter.block(method, channel, translated.retryAfterMs ?? 1_000);
          log.warn(
            { event: 'slack-call-failed', method, code: translated.code, retryable: translated.retryable, detail: translated.details },
            translated.message,
          );
          throw translated;
        }
      });
    },
  };
}

/**
 * Step two of Slack's upload flow (https://docs.slack.dev/messaging/working-with-files#upload): POSTs the bytes to
 * the `upload_url` that files.getUploadURLExternal returned, streamed with their length, never whole in memory.
 * HTTP 429 becomes SLACK_RATE_LIMITED (Retry-After kept), 5xx and network errors a retryable SLACK_API.
 */
export async function postFileBytes(uploadUrl: string, content: AsyncIterable<Buffer>, length: number): Promise<void> {
  const url = new URL(uploadUrl);
  const client = url.protocol === 'http:' ? http : https;
  const status = await new Promise<{ code: number; retryAfter: string | undefined }>((resolve, reject) => {
    const headers = { 'content-type': 'application/octet-stream', 'content-length': String(length) };
    const request = client.request(url, { method: 'POST', headers, timeout: 60_000 });
    request.on('response', (response) => {
      response.resume();
      response.on('end', () => resolve({ code: response.statusCode ?? 0, retryAfter: response.headers['retry-after'] as string | undefined }));
    });
    request.on('timeout', () => request.destroy(new Error('upload timed out')));
    pipeline(Readable.from(content), request).catch(reject);
  }).catch((error: unknown) => {
    throw new DeskbotError('SLACK_API', 'Slack file upload could not be reached', { cause: error, retryable: true, details: { method: 'upload_url' } });
  });
  if (status.code === 429) {
    const retryAfterMs = Math.max(1, Number(status.retryAfter ?? 1) || 1) * 1000;
    throw new DeskbotError('SLACK_RATE_LIMITED', `Slack rate-limited the file upload; retry after ${retryAfterMs} ms`, {
      retryable: true,
      retryAfterMs,
      details: { method: 'upload_url' },
    });
  }
  if (status.code < 200 || status.code >= 300) {
    throw new DeskbotError('SLACK_API', `Slack file upload answered HTTP ${status.code}`, {
      retryable: status.code >= 500,
      details: { method: 'upload_url', status: status.code },
    });
  }
}
