import fc from 'fast-check';
import {
  evaluatePermissionQuery,
  formatPermissionQuery,
  parsePermissionQuery,
  PermissionQuery,
  PermissionQueryError,
  permissionsIn,
} from './permission-query';

const p = (permission: string): PermissionQuery => ({ kind: 'permission', permission });
const and = (...operands: PermissionQuery[]): PermissionQuery => ({ kind: 'and', operands });
const or = (...operands: PermissionQuery[]): PermissionQuery => ({ kind: 'or', operands });

/** The parser's normal form: single-operand groups dropped, nested same-kind groups flattened. */
function normalise(query: PermissionQuery): PermissionQuery {
  if (query.kind === 'permission') return query;
  const operands = query.operands.map(normalise).flatMap((operand) => (operand.kind === query.kind ? operand.operands : [operand]));
  return operands.length === 1 ? operands[0] : { kind: query.kind, operands };
}

function errorOf(text: string): PermissionQueryError {
  try {
    parsePermissionQuery(text);
  } catch (error) {
    if (error instanceof PermissionQueryError) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(text)} to be rejected`);
}

describe('permission query', () => {
  describe('parsing', () => {
    it('binds AND tighter than OR', () => {
      expect(parsePermissionQuery('a:x OR b:x AND c:x')).toEqual(or(p('a:x'), and(p('b:x'), p('c:x'))));
      expect(parsePermissionQuery('a:x AND b:x OR c:x')).toEqual(or(and(p('a:x'), p('b:x')), p('c:x')));
    });

    it('honours parentheses, which need no surrounding spaces', () => {
      expect(parsePermissionQuery('(a:x OR b:x) AND c:x')).toEqual(and(or(p('a:x'), p('b:x')), p('c:x')));
      expect(parsePermissionQuery('(a:x)AND(b:x OR(c:x))')).toEqual(and(p('a:x'), or(p('b:x'), p('c:x'))));
      expect(parsePermissionQuery('((a:x))')).toEqual(p('a:x'));
    });

    it('accepts keywords in any case and free whitespace', () => {
      expect(parsePermissionQuery(' a:x\tand b:x\nOr  c:x aNd d:x ')).toEqual(or(and(p('a:x'), p('b:x')), and(p('c:x'), p('d:x'))));
    });

    it('flattens nested groups of the same kind', () => {
      expect(parsePermissionQuery('a:x AND (b:x AND (c:x))')).toEqual(and(p('a:x'), p('b:x'), p('c:x')));
      expect(parsePermissionQuery('(a:x OR b:x) OR c:x')).toEqual(or(p('a:x'), p('b:x'), p('c:x')));
    });

    it('accepts wildcard permissions and the full permission syntax', () => {
      expect(parsePermissionQuery('* OR admin:* OR keys:read:all OR my-svc_2:do-it')).toEqual(
        or(p('*'), p('admin:*'), p('keys:read:all'), p('my-svc_2:do-it')),
      );
    });
  });

  describe('evaluation', () => {
    const query = parsePermissionQuery('orders:read AND (orders:write OR admin:*)');

    it.each([
      [['orders:read', 'orders:write'], true],
      [['orders:*'], true],
      [['*'], true],
      [['orders:read', 'admin:*'], true],
      [['orders:read', 'admin:keys'], false],
      [['orders:write', 'admin:*'], false],
      [['orders:read'], false],
      [[], false],
    ])('held %j: %s', (held, expected) => {
      expect(evaluatePermissionQuery(query, held)).toBe(expected);
    });

    it('fails closed on empty groups', () => {
      expect(evaluatePermissionQuery(and(), ['*'])).toBe(false);
      expect(evaluatePermissionQuery(or(), ['*'])).toBe(false);
    });
  });

  it('lists the distinct permissions, sorted', () => {
    expect(permissionsIn(parsePermissionQuery('b:x AND (a:x OR b:x) OR c:* AND a:x'))).toEqual(['a:x', 'b:x', 'c:*']);
  });

  it('formats canonically with minimal parentheses', () => {
    expect(formatPermissionQuery(parsePermissionQuery('a:x or (b:x and c:x)'))).toBe('a:x OR b:x AND c:x');
    expect(formatPermissionQuery(parsePermissionQuery('(a:x or b:x) and ((c:x))'))).toBe('(a:x OR b:x) AND c:x');
    expect(formatPermissionQuery(and(or(p('a:x')), and(p('b:x'), p('c:x'))))).toBe('a:x AND b:x AND c:x');
    expect(() => formatPermissionQuery(or())).toThrow(RangeError);
  });

  describe('errors', () => {
    it.each([
      ['', 'Empty query', 0],
      ['  \t ', 'Empty query', 0],
      ['a:b AND', 'Unexpected end of query', 7],
      ['a:b OR ', 'Unexpected end of query', 7],
      ['AND a:b', 'Unexpected "AND"', 0],
      ['a:b or OR c:d', 'Unexpected "OR"', 7],
      ['a:b AND (c:de))', 'Unexpected ")"', 14],
      [')', 'Unexpected ")"', 0],
      ['()', 'Unexpected ")"', 1],
      ['(a:b', 'Unclosed "("', 0],
      ['a:b AND ((c:d)', 'Unclosed "("', 8],
      ['a:b c:d', 'Missing AND/OR before "c:d"', 4],
      ['a:b (c:d)', 'Missing AND/OR before "("', 4],
      ['(a:b c:d)', 'Missing AND/OR before "c:d"', 5],
      ['a:b & c:d', 'Unexpected character "&"', 4],
      ['a:b||c:d', 'Unexpected character "|"', 3],
      ['a:b OR 😀', 'Unexpected character "😀"', 7],
      ['a:b\u0000', 'Unexpected character "\\u0000"', 3],
      ['Orders:read', 'Invalid permission "Orders:read"', 0],
      ['orders', 'Invalid permission "orders"', 0],
      ['a:b ANDc:d', 'Invalid permission "ANDc:d"', 4],
      ['a:b OR a:', 'Invalid permission "a:"', 7],
      ['a:' + 'b'.repeat(127), 'Permission longer than 128 characters', 0],
    ])('%j: %s at position %d', (text, problem, position) => {
      const error = errorOf(text);
      expect(error).toBeInstanceOf(Error);
      expect(error.name).toBe('PermissionQueryError');
      expect(error.message).toBe(`${problem} at position ${position}`);
      expect(error.position).toBe(position);
    });

    it('rejects non-string input with a PermissionQueryError', () => {
      expect(errorOf(42 as unknown as string).message).toBe('Query must be a string at position 0');
    });

    it('quotes long offending words only in part', () => {
      expect(errorOf('x'.repeat(100)).message).toBe(`Invalid permission "${'x'.repeat(40)}…" at position 0`);
    });
  });

  describe('bounds', () => {
    it('allows at most 1000 characters', () => {
      expect(parsePermissionQuery('a:b' + ' '.repeat(997))).toEqual(p('a:b'));
      expect(errorOf('a:b' + ' '.repeat(998)).message).toBe('Query longer than 1000 characters at position 1000');
      expect(errorOf('('.repeat(1_000_000)).message).toBe('Query longer than 1000 characters at position 1000');
    });

    it('allows permissions of at most 128 characters', () => {
      const longest = 'a:' + 'b'.repeat(126);
      expect(parsePermissionQuery(longest)).toEqual(p(longest));
    });

    it('allows nesting at most 10 deep', () => {
      const nested = (depth: number) => '('.repeat(depth) + 'a:b' + ')'.repeat(depth);
      expect(parsePermissionQuery(nested(10))).toEqual(p('a:b'));
      expect(errorOf(nested(11)).message).toBe('Parentheses nested deeper than 10 at position 10');
      expect(errorOf('('.repeat(999)).message).toBe('Parentheses nested deeper than 10 at position 10');
    });

    it('allows at most 50 permissions', () => {
      const terms = (count: number) => Array.from({ length: count }, () => 'a:b').join(' OR ');
      expect(permissionsIn(parsePermissionQuery(terms(50)))).toEqual(['a:b']);
      expect(errorOf(terms(51)).message).toBe('More than 50 permissions at position 350');
    });
  });

  describe('properties', () => {
    const resources = ['p0', 'p1', 'p2', 'p3', 'p4'];
    const alphabet = resources.flatMap((resource) => [`${resource}:read`, `${resource}:write`]);
    const heldAlphabet = [...alphabet, ...resources.map((resource) => `${resource}:*`), '*'];

    // Depth 3 with at most 3 operands per group keeps trees within every parser bound (27 leaves, 3 parens deep).
    const { tree } = fc.letrec<{ tree: PermissionQuery }>((tie) => ({
      tree: fc.oneof(
        { maxDepth: 3, depthIdentifier: 'tree' },
        fc.constantFrom(...alphabet).map(p),
        fc.record({ kind: fc.constantFrom('and' as const, 'or' as const), operands: fc.array(tie('tree'), { minLength: 1, maxLength: 3 }) }),
      ),
    }));
    const held = fc.subarray(heldAlphabet);

    /** Oracle independent of isGranted: exact grant, resource wildcard or the global wildcard. */
    function directly(query: PermissionQuery, heldSet: readonly string[]): boolean {
      if (query.kind === 'permission') {
        const resource = query.permission.split(':')[0];
        return heldSet.includes('*') || heldSet.includes(query.permission) || heldSet.includes(`${resource}:*`);
      }
      const values = query.operands.map((operand) => directly(operand, heldSet));
      return query.kind === 'and' ? values.every(Boolean) : values.some(Boolean);
    }

    it('round-trips formatted trees up to normalisation, with identical evaluation', () => {
      fc.assert(
        fc.property(tree, fc.array(held, { minLength: 1, maxLength: 5 }), (query, heldSets) => {
          const reparsed = parsePermissionQuery(formatPermissionQuery(query));
          expect(reparsed).toEqual(normalise(query));
          expect(permissionsIn(reparsed)).toEqual(permissionsIn(query));
          for (const heldSet of heldSets) expect(evaluatePermissionQuery(reparsed, heldSet)).toBe(evaluatePermissionQuery(query, heldSet));
        }),
      );
    });

    it('evaluates like a direct boolean evaluation of the tree', () => {
      fc.assert(
        fc.property(tree, held, (query, heldSet) => {
          expect(evaluatePermissionQuery(query, heldSet)).toBe(directly(query, heldSet));
        }),
      );
    });

    const tokens = ['(', ')', 'AND', 'and', 'Or', 'OR', 'a:b', 'c:*', '*', 'a:b:c', 'A:B', 'a', ':', ' ', ' ', '\t', '&', '\u00a0'];
    const tokenString = fc.array(fc.constantFrom(...tokens), { maxLength: 60 }).map((parts) => parts.join(''));
    const spacedTokenString = fc.array(fc.constantFrom(...tokens), { maxLength: 60 }).map((parts) => parts.join(' '));
    const anyString = fc.oneof(
      fc.string(),
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc.string({ unit: fc.constantFrom(...'()aAND OR:b*'), maxLength: 1100 }),
      tokenString,
      spacedTokenString,
    );

    it('either parses to a normal, re-formattable query or throws a PermissionQueryError', () => {
      fc.assert(
        fc.property(anyString, (text) => {
          let query: PermissionQuery;
          try {
            query = parsePermissionQuery(text);
          } catch (error) {
            expect(error).toBeInstanceOf(PermissionQueryError);
            const { position } = error as PermissionQueryError;
            expect(Number.isInteger(position) && position >= 0 && position <= Math.min(text.length, 1000)).toBe(true);
            return;
          }
          expect(normalise(query)).toEqual(query);
          expect(parsePermissionQuery(formatPermissionQuery(query))).toEqual(query);
        }),
        { numRuns: 2000 },
      );
    });
  });
});
