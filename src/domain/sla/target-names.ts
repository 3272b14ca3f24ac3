// The names of the three SLA targets and how people read them: owned here so storage, the sweeper, reports,
// mail templates and Slack agree. Leaves out the budgets (targets.ts) and the due times (due-times.ts).

/** The SLA targets a ticket is measured against, in the order they fall due. */
export const slaTargets = ['initial-response', 'progress-update', 'resolution'] as const;
export type SlaTarget = (typeof slaTargets)[number];

/** How a target reads in mail, Slack and reports. */
export const slaTargetLabels: Record<SlaTarget, string> = {
  'initial-response': 'Initial response',
  'progress-update': 'Progress update',
  resolution: 'Resolution',
};

/** Whether a stored target name is one deskbot knows. */
export function isSlaTarget(name: string): name is SlaTarget {
  return (slaTargets as readonly string[]).includes(name);
}

/** The label of a target; an unknown name reads as itself. */
export function slaTargetLabel(name: string): string {
  return isSlaTarget(name) ? slaTargetLabels[name] : name;
}
