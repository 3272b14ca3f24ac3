// Who may act in Slack: policy.roles lists Slack user IDs (U…/W…) and user-group IDs (S…) per role; managers can do
// everything an engineer can. Answers synchronously from a cache so a check never delays ack(); user-group members
// are refreshed in the background. Leaves out what each role may do — every engineer action needs 'engineer'.
import type { Logger } from '../../logger.ts';
import type { Policy } from '../../domain/policy.ts';
import type { SlackApi } from './web-api.ts';

export const slackRoles = ['engineer', 'manager'] as const;
export type SlackRole = (typeof slackRoles)[number];

export interface RoleDirectory {
  /** 'manager' beats 'engineer'; null for anyone else. */
  roleOf(userId: string): SlackRole | null;
  /** True when the user holds `role` or a higher one. */
  allows(userId: string, role: SlackRole): boolean;
  /** Loads user-group members (usergroups.users.list); keeps the previous members when Slack fails. */
  refresh(): Promise<void>;
  start(): void;
  stop(): void;
}

export interface RoleDirectoryOptions {
  roles: Policy['roles'];
  /** Needed only when a role lists user groups. */
  api?: SlackApi | undefined;
  logger: Logger;
  /** How often user-group members are reloaded (ms). Default 5 minutes. */
  refreshMs?: number;
}

const isGroup = (id: string) => /^S[A-Z0-9]+$/.test(id);

export function createRoleDirectory(options: RoleDirectoryOptions): RoleDirectory {
  const log = options.logger.child({ component: 'slack-roles' });
  const members = new Map<string, Set<string>>();
  let timer: NodeJS.Timeout | undefined;

  const holds = (entries: readonly string[], userId: string) =>
    entries.some((entry) => entry === userId || (isGroup(entry) && members.get(entry)?.has(userId) === true));

  const roleOf = (userId: string): SlackRole | null => {
    if (holds(options.roles.managers, userId)) return 'manager';
    if (holds(options.roles.engineers, userId)) return 'engineer';
    return null;
  };

  const groups = [...new Set([...options.roles.managers, ...options.roles.engineers].filter(isGroup))];

  const refresh = async () => {
    if (!options.api || groups.length === 0) return;
    for (const usergroup of groups) {
      try {
        const result = await options.api.call('usergroups.users.list', { usergroup });
        members.set(usergroup, new Set(Array.isArray(result.users) ? (result.users as string[]) : []));
      } catch (error) {
        log.warn({ event: 'usergroup-refresh-failed', usergroup, err: error }, 'could not load user-group members; keeping the last known');
      }
    }
  };

  return {
    roleOf,
    allows(userId, role) {
      const held = roleOf(userId);
      return held === 'manager' || (held === 'engineer' && role === 'engineer');
    },
    refresh,
    start() {
      if (groups.length === 0 || timer) return;
      void refresh();
      timer = setInterval(() => void refresh(), options.refreshMs ?? 300_000);
      timer.unref();
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  };
}
