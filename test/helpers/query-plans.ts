// How a statement reads, on either back end: its EXPLAIN (FORMAT JSON) plan as nodes, for the tests that check a
// statement walks an index rather than a whole table (directory lookup, ticket lists, the ticket card).
import type { Database } from '../../src/store/database.ts';

/** The plan node fields these tests read (EXPLAIN's JSON names). */
export interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Actual Rows'?: number;
  'Actual Loops'?: number;
  'Rows Removed by Filter'?: number;
  'Rows Removed by Index Recheck'?: number;
  Plans?: PlanNode[];
}

/** A statement as Prisma.sql builds it, or as recorded from $queryRawUnsafe: `$n` placeholders and their values. */
export interface PlannedStatement {
  text: string;
  values: unknown[];
}

/** Every node of the statement's plan, the root first; `analyze` runs it (EXPLAIN ANALYZE) for the actual rows. */
export async function planNodes(prisma: Database['prisma'], statement: PlannedStatement, options: { analyze?: boolean } = {}): Promise<PlanNode[]> {
  const [row] = await prisma.$queryRawUnsafe<Array<{ 'QUERY PLAN': unknown }>>(
    `EXPLAIN (${options.analyze ? 'ANALYZE, ' : ''}FORMAT JSON) ${statement.text}`,
    ...statement.values,
  );
  const plan = row!['QUERY PLAN'];
  const nodes: PlanNode[] = [];
  const walk = (node: PlanNode) => {
    nodes.push(node);
    for (const child of node.Plans ?? []) walk(child);
  };
  walk(((typeof plan === 'string' ? JSON.parse(plan) : plan) as Array<{ Plan: PlanNode }>)[0]!.Plan);
  return nodes;
}

/**
 * Rows of `relation` a plan read, over its nodes: a scan's rows returned plus those its filters removed, and a bitmap
 * index scan's entries of one of the relation's indexes (named "<relation>_…"), each times its loops.
 */
export function rowsRead(nodes: PlanNode[], relation: string): number {
  let read = 0;
  for (const node of nodes) {
    const loops = node['Actual Loops'] ?? 1;
    if (node['Relation Name'] === relation) {
      read += ((node['Actual Rows'] ?? 0) + (node['Rows Removed by Filter'] ?? 0) + (node['Rows Removed by Index Recheck'] ?? 0)) * loops;
    } else if (node['Node Type'] === 'Bitmap Index Scan' && node['Index Name']?.startsWith(`${relation}_`)) {
      read += (node['Actual Rows'] ?? 0) * loops;
    }
  }
  return read;
}
