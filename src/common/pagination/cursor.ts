import { DomainError } from '../errors/domain-error';

/** Keyset position: the sort column's value (ISO time or number) and the row id as tie-breaker. */
export interface CursorPosition {
  sort: string;
  id: string;
}

export function encodeCursor(position: CursorPosition): string {
  return Buffer.from(JSON.stringify([position.sort, position.id])).toString('base64url');
}

export function decodeCursor(cursor: string): CursorPosition {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      Array.isArray(value) &&
      value.length === 2 &&
      typeof value[0] === 'string' &&
      typeof value[1] === 'string' &&
      value[0].length <= 64 &&
      value[1].length <= 64
    ) {
      return { sort: value[0], id: value[1] };
    }
  } catch {
    // fall through
  }
  throw invalidCursor();
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A (time, uuid) keyset cursor. Its values go into SQL casts, so a forged one is a 400 here. */
export function decodeKeysetCursor(cursor: string): CursorPosition {
  const position = decodeCursor(cursor);
  if (Number.isNaN(Date.parse(position.sort)) || !UUID.test(position.id)) throw invalidCursor();
  return position;
}

export function invalidCursor(): DomainError {
  return DomainError.badRequest('cursor is invalid; pass back nextCursor exactly as returned', [{ field: 'cursor', messages: ['cursor is invalid'] }]);
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** Builds a page from `limit + 1` fetched rows: the extra row only signals that more exist. */
export function toPage<R, T>(rows: R[], limit: number, position: (row: R) => CursorPosition, map: (row: R) => T): Page<T> {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return {
    items: items.map(map),
    nextCursor: rows.length > limit && last !== undefined ? encodeCursor(position(last)) : null,
  };
}
