// Prisma 6's client engine compiles every request in its query compiler's WebAssembly on the main thread, raw SQL
// included (~0.35 ms a statement, measured: ~9 % of the main thread in an intake burst). A raw statement's plan is the
// statement itself with its decoded parameters and their types, so this builds it in JavaScript for the parameter
// shapes deskbot sends and leaves every other request, and any shape it does not know, to the compiler.
// test/store/raw-query-plans.test.ts checks the plans against the compiler's for every shape handled here.
import * as queryCompilerModule from '@prisma/client/runtime/query_compiler_bg.postgresql.mjs';

type ScalarType = 'int' | 'float' | 'string' | 'boolean' | 'bigint' | 'datetime' | 'bytes' | 'json' | 'unknown';
interface ArgType {
  arity: 'scalar' | 'list';
  scalarType: ScalarType;
  dbType: null;
}
export interface RawSqlPlan {
  type: 'query' | 'execute';
  args: { type: 'rawSql'; sql: string; args: unknown[]; argTypes: ArgType[] };
}

/** Prisma's tags of serialized raw parameters that carry their value as text, and the plan's type for each. */
const taggedTypes: Record<string, ScalarType> = { bigint: 'bigint', date: 'datetime', bytes: 'bytes' };

type Decoded = { value: unknown; type: ScalarType };

/** One decoded scalar and its type, or undefined when the compiler must decide. */
function scalar(value: unknown): Decoded | undefined {
  if (value === null) return { value, type: 'unknown' };
  switch (typeof value) {
    case 'string':
      return { value, type: 'string' };
    case 'boolean':
      return { value, type: 'boolean' };
    case 'number':
      if (Number.isSafeInteger(value)) return { value, type: 'int' };
      return Number.isFinite(value) && !Number.isInteger(value) ? { value, type: 'float' } : undefined;
    case 'object': {
      if (Array.isArray(value)) return undefined;
      const tagged = value as { prisma__type?: unknown; prisma__value?: unknown };
      if (typeof tagged.prisma__type === 'string') {
        const type = taggedTypes[tagged.prisma__type];
        return type && typeof tagged.prisma__value === 'string' && Object.keys(tagged).length === 2 ? { value: tagged.prisma__value, type } : undefined;
      }
      return { value: JSON.stringify(value), type: 'json' };
    }
    default:
      return undefined;
  }
}

/** A list parameter from its decoded elements: every one of one kind (strings, integers, tagged values), or empty. */
function list(elements: Array<Decoded | undefined>): { value: unknown[]; type: ScalarType } | undefined {
  if (elements.length === 0) return { value: [], type: 'unknown' };
  let type: ScalarType | undefined;
  for (const one of elements) {
    if (!one || (type !== undefined && one.type !== type) || one.type === 'json' || one.type === 'float' || one.type === 'boolean') return undefined;
    type = one.type;
  }
  return type ? { value: elements.map((one) => one?.value), type } : undefined;
}

/** Every parameter decoded by `decode` (a list element by element; NULL inside a list is the compiler's to type). */
function planArguments(params: readonly unknown[], decode: (value: unknown) => Decoded | undefined): { args: unknown[]; argTypes: ArgType[] } | undefined {
  const args: unknown[] = [];
  const argTypes: ArgType[] = [];
  for (const parameter of params) {
    const decoded = Array.isArray(parameter) ? list(parameter.map((element) => (element === null ? undefined : decode(element)))) : decode(parameter);
    if (!decoded) return undefined;
    args.push(decoded.value);
    argTypes.push({ arity: Array.isArray(parameter) ? 'list' : 'scalar', scalarType: decoded.type, dbType: null });
  }
  return { args, argTypes };
}

/**
 * The plan of a raw request (Prisma's JSON protocol, as the client engine passes it to the compiler), or undefined
 * when it is not a raw request or has a parameter shape left to the compiler.
 */
export function rawQueryPlan(request: string): RawSqlPlan | undefined {
  // Cheap test first: every other request goes to the compiler untouched.
  if (!request.startsWith('{"action":"queryRaw"') && !request.startsWith('{"action":"executeRaw"')) return undefined;
  const parsed = JSON.parse(request) as { action?: unknown; query?: { arguments?: { query?: unknown; parameters?: unknown }; selection?: unknown } };
  const argumentsOf = parsed.query?.arguments;
  if (
    Object.keys(parsed).length !== 2 ||
    Object.keys(parsed.query ?? {}).length !== 2 ||
    Object.keys(argumentsOf ?? {}).length !== 2 ||
    typeof argumentsOf?.query !== 'string' ||
    typeof argumentsOf.parameters !== 'string'
  ) {
    return undefined;
  }
  const parameters = JSON.parse(argumentsOf.parameters) as unknown;
  const decoded = Array.isArray(parameters) ? planArguments(parameters, scalar) : undefined;
  return decoded && { type: parsed.action === 'queryRaw' ? 'query' : 'execute', args: { type: 'rawSql', sql: argumentsOf.query, ...decoded } };
}

/** One JS parameter as Prisma serializes it and the plan decodes it (bigint, Date and bytes as text), or undefined. */
function jsScalar(value: unknown): Decoded | undefined {
  if (typeof value === 'bigint') return { value: value.toString(), type: 'bigint' };
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : { value: value.toISOString(), type: 'datetime' };
  if (value instanceof Uint8Array) return { value: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64'), type: 'bytes' };
  // Objects (JSON parameters) keep Prisma's own serialization of what they hold.
  return value !== null && typeof value === 'object' ? undefined : scalar(value);
}

/**
 * A raw statement's parameters as the plan hands them to the driver adapter (the `args` and `argTypes` Prisma would
 * send), without going through Prisma's request JSON; undefined for a shape left to Prisma (direct-raw.ts).
 */
export function rawArguments(params: readonly unknown[]): { args: unknown[]; argTypes: ArgType[] } | undefined {
  return planArguments(params, jsScalar);
}

interface CompilerPrototype {
  compile(request: string): unknown;
}

const compilerPrototype: CompilerPrototype = queryCompilerModule.QueryCompiler.prototype;
const compileInWasm = compilerPrototype.compile;
let installed = false;

/** From now on every Prisma client of this process plans raw requests here (idempotent). */
export function planRawQueriesInJavaScript(): void {
  if (installed) return;
  installed = true;
  compilerPrototype.compile = function compile(this: CompilerPrototype, request: string) {
    return rawQueryPlan(request) ?? compileInWasm.call(this, request);
  };
}

/** The compiler's own plan of `request` on `compiler`, a QueryCompiler of a client (tests compare the two). */
export function compilerPlan(compiler: unknown, request: string): unknown {
  return compileInWasm.call(compiler as CompilerPrototype, request);
}
