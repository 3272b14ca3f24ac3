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
