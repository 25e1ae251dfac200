/**
 * Permission queries for key verification, e.g. `orders:read AND (orders:write OR admin:*)`.
 *
 *   expr   := term (OR term)*
 *   term   := factor (AND factor)*
 *   factor := PERMISSION | '(' expr ')'
 *
 * AND binds tighter than OR; keywords are case-insensitive whole words. Queries come from callers
 * we do not control, so parsing is bounded (length, nesting, number of permissions) and every
 * failure is a PermissionQueryError naming the 0-based position (UTF-16 code units) of the problem.
 */
import { PERMISSION_MAX_LENGTH, PERMISSION_PATTERN } from '../common/validation/validators';
import { isGranted } from './permission-evaluator';

export const MAX_QUERY_LENGTH = 1000;
export const MAX_QUERY_DEPTH = 10;
export const MAX_QUERY_PERMISSIONS = 50;

export type PermissionQuery =
  | { kind: 'permission'; permission: string }
  | { kind: 'and'; operands: PermissionQuery[] }
  | { kind: 'or'; operands: PermissionQuery[] };

export class PermissionQueryError extends Error {
  override readonly name = 'PermissionQueryError';

  constructor(
    readonly problem: string,
    readonly position: number,
  ) {
    super(`${problem} at position ${position}`);
  }
}

type Token = { type: 'permission' | 'and' | 'or' | '(' | ')' | 'end'; text: string; position: number };

/** Characters a permission or keyword may contain; upper case only so keywords lex as words. */
const WORD_CHAR = /[A-Za-z0-9_:*-]/;
const WHITESPACE = /\s/;

/** Parses a query into a tree; nested groups of the same kind are flattened (`a AND (b AND c)` is one AND). */
export function parsePermissionQuery(text: string): PermissionQuery {
  // Guard against untyped callers too: the promise is "only PermissionQueryError, ever".
  if (typeof text !== 'string') throw new PermissionQueryError('Query must be a string', 0);
  if (text.length > MAX_QUERY_LENGTH) throw new PermissionQueryError(`Query longer than ${MAX_QUERY_LENGTH} characters`, MAX_QUERY_LENGTH);
  return new Parser(text).parse();
}

/** Does `held` satisfy the query? An empty group (never produced by the parser) fails closed. */
export function evaluatePermissionQuery(query: PermissionQuery, held: readonly string[]): boolean {
  if (query.kind === 'permission') return isGranted(query.permission, held);
  if (query.operands.length === 0) return false;
  return query.kind === 'and'
    ? query.operands.every((operand) => evaluatePermissionQuery(operand, held))
    : query.operands.some((operand) => evaluatePermissionQuery(operand, held));
}

/** The distinct permissions the query mentions, sorted. */
export function permissionsIn(query: PermissionQuery): string[] {
  const found = new Set<string>();
  const visit = (q: PermissionQuery): void => {
    if (q.kind === 'permission') found.add(q.permission);
    else q.operands.forEach(visit);
  };
  visit(query);
  return [...found].sort();
}

/**
 * Canonical text: upper-case operators, parentheses only around an OR inside an AND. Parsing the
 * result gives back the query with single-operand groups dropped and same-kind nesting flattened.
 */
export function formatPermissionQuery(query: PermissionQuery): string {
  return format(query, 'or');
}

function format(query: PermissionQuery, context: 'and' | 'or'): string {
  if (query.kind === 'permission') return query.permission;
  if (query.operands.length === 0) throw new RangeError(`Cannot format an empty "${query.kind}" group`);
  if (query.operands.length === 1) return format(query.operands[0], context);
  const text = query.operands.map((operand) => format(operand, query.kind)).join(query.kind === 'and' ? ' AND ' : ' OR ');
  return query.kind === 'or' && context === 'and' ? `(${text})` : text;
}

/** Recursive descent over a lazy tokenizer, so the first problem by position is the one reported. */
class Parser {
  private index = 0;
  private depth = 0;
  private permissionCount = 0;
  private token: Token = { type: 'end', text: '', position: 0 };

  constructor(private readonly text: string) {}

  parse(): PermissionQuery {
    this.advance();
    if (this.is('end')) throw new PermissionQueryError('Empty query', 0);
    const query = this.expr();
    return this.is('end') ? query : this.unexpected();
  }

  /** A method rather than a property read: TypeScript would keep a narrowing across advance(). */
  private is(type: Token['type']): boolean {
    return this.token.type === type;
  }

  private expr(): PermissionQuery {
    const operands = [this.term()];
    while (this.is('or')) {
      this.advance();
      operands.push(this.term());
    }
    return group('or', operands);
  }

  private term(): PermissionQuery {
    const operands = [this.factor()];
    while (this.is('and')) {
      this.advance();
      operands.push(this.factor());
    }
    return group('and', operands);
  }

  private factor(): PermissionQuery {
    const token = this.token;
    if (token.type === 'permission') {
      this.advance();
      return { kind: 'permission', permission: token.text };
    }
    if (token.type !== '(') return this.unexpected();
    // Checked before recursing, so recursion depth is bounded by MAX_QUERY_DEPTH.
    if (++this.depth > MAX_QUERY_DEPTH) throw new PermissionQueryError(`Parentheses nested deeper than ${MAX_QUERY_DEPTH}`, token.position);
    this.advance();
    const query = this.expr();
    if (this.is('end')) throw new PermissionQueryError('Unclosed "("', token.position);
    if (!this.is(')')) this.unexpected();
    this.depth--;
    this.advance();
    return query;
  }

  private unexpected(): never {
    const { type, text, position } = this.token;
    if (type === 'end') throw new PermissionQueryError('Unexpected end of query', position);
    // A permission or "(" is only unexpected right after a complete operand.
    if (type === 'permission' || type === '(') throw new PermissionQueryError(`Missing AND/OR before ${quote(text)}`, position);
    throw new PermissionQueryError(`Unexpected ${quote(text)}`, position);
  }

  private advance(): void {
    const text = this.text;
    let start = this.index;
    while (start < text.length && WHITESPACE.test(text[start])) start++;
    if (start >= text.length) {
      this.index = start;
      this.token = { type: 'end', text: '', position: text.length };
      return;
    }
    const char = text[start];
    if (char === '(' || char === ')') {
      this.index = start + 1;
      this.token = { type: char, text: char, position: start };
      return;
    }
    let end = start;
    while (end < text.length && WORD_CHAR.test(text[end])) end++;
    if (end === start) throw new PermissionQueryError(`Unexpected character ${quote([...text.slice(start, start + 2)][0])}`, start);
    this.index = end;
    const word = text.slice(start, end);
    const keyword = word.toUpperCase();
    if (keyword === 'AND' || keyword === 'OR') {
      this.token = { type: keyword === 'AND' ? 'and' : 'or', text: word, position: start };
      return;
    }
    if (word.length > PERMISSION_MAX_LENGTH) throw new PermissionQueryError(`Permission longer than ${PERMISSION_MAX_LENGTH} characters`, start);
    if (!PERMISSION_PATTERN.test(word)) throw new PermissionQueryError(`Invalid permission ${quote(word)}`, start);
    if (++this.permissionCount > MAX_QUERY_PERMISSIONS) throw new PermissionQueryError(`More than ${MAX_QUERY_PERMISSIONS} permissions`, start);
    this.token = { type: 'permission', text: word, position: start };
  }
}

/** Operands of parsed groups are already flat, so one level of splicing keeps the tree normal. */
function group(kind: 'and' | 'or', operands: PermissionQuery[]): PermissionQuery {
  if (operands.length === 1) return operands[0];
  return { kind, operands: operands.flatMap((operand) => (operand.kind === kind ? operand.operands : [operand])) };
}

/** JSON quoting escapes control characters; long words are cut so messages stay short. */
function quote(text: string): string {
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);
}
