// Shared fixtures for the SLA tests: the built-in policy and policies with overrides, built the way production builds them.
import { defaultPolicy, resolvePolicy, type Policy } from '../../../src/domain/policy.ts';

export const HOUR = 3_600_000;

/** The built-in policy (US, EMEA, 24x7; warnings at 0.75). */
export const builtInPolicy: Policy = defaultPolicy();

/** The built-in policy with `override` merged over it, as a policy file would; throws on an invalid override. */
export function policyWith(override: unknown): Policy {
  const resolved = resolvePolicy(override);
  if ('issues' in resolved) throw new Error(`test policy invalid: ${JSON.stringify(resolved.issues)}`);
  return resolved.policy;
}

/** A fixed instant written with its offset, e.g. at('2026-01-12T09:00-05:00'). */
export function at(isoWithOffset: string): Date {
  const instant = new Date(isoWithOffset);
  if (Number.isNaN(instant.getTime())) throw new Error(`bad test instant ${isoWithOffset}`);
  return instant;
}
