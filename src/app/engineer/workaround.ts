// Use case: `/support workaround SR-… <text>` (Cryptzone §7: a Critical or Major defect is "resolved or a Workaround
// is provided"): mails the workaround like respond, meets the resolution objective; the ticket stays open until closed.
import type { Actor, EngineerActionDeps } from './common.ts';
import { respond, type RespondResult } from './respond.ts';

/** Sends the workaround to the customer (engineer-reply mail) and records it as meeting the resolution objective. */
export function workaround(
  deps: EngineerActionDeps,
  input: { requestId: string; text: string; actor: Actor; idempotencyKey?: string },
): Promise<RespondResult> {
  return respond(deps, { ...input, workaround: true });
}
