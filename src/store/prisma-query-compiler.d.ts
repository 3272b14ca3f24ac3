// Prisma's query compiler module (no declarations of its own): raw-query-plans.ts plans raw requests in its place.
declare module '@prisma/client/runtime/query_compiler_bg.postgresql.mjs' {
  export class QueryCompiler {
    compile(request: string): unknown;
  }
}
