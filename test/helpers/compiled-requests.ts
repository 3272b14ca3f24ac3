// Records what Prisma hands its query compiler while some work runs: the raw-statement tests check which requests
// were planned in JavaScript (src/store/raw-query-plans.ts) and which never reached Prisma at all (direct-raw.ts).
import * as queryCompilerModule from '@prisma/client/runtime/query_compiler_bg.postgresql.mjs';

/** Each request (with the compiler instance it went to) that `work` made Prisma compile or plan. */
export async function compiledRequests(work: () => Promise<unknown>): Promise<Array<{ compiler: unknown; request: string }>> {
  const prototype = queryCompilerModule.QueryCompiler.prototype;
  const installed = prototype.compile;
  const requests: Array<{ compiler: unknown; request: string }> = [];
  prototype.compile = function record(request: string) {
    requests.push({ compiler: this, request });
    return installed.call(this, request);
  };
  try {
    await work();
  } finally {
    prototype.compile = installed;
  }
  return requests;
}
