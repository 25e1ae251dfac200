import type { ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import type { CursorPosition } from './cursor';

/**
 * Live rows of `alias` in (created_at, id) order, one page of `limit` plus one row that only tells
 * whether another page exists, starting after `after`.
 */
export function keysetPage<T extends ObjectLiteral>(
  query: SelectQueryBuilder<T>,
  alias: string,
  limit: number,
  after: CursorPosition | undefined,
): SelectQueryBuilder<T> {
  query
    .andWhere(`${alias}.deleted_at IS NULL`)
    .orderBy(`${alias}.created_at`, 'ASC')
    .addOrderBy(`${alias}.id`, 'ASC')
    .limit(limit + 1);
  if (after) {
    query.andWhere(`(${alias}.created_at, ${alias}.id) > (CAST(:afterTime AS timestamptz), CAST(:afterId AS uuid))`, {
      afterTime: after.sort,
      afterId: after.id,
    });
  }
  return query;
}

/** An ILIKE pattern matching `text` anywhere, with the caller's wildcards taken literally. */
export function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
