/**
 * Keeps a map of expiring entries bounded; call it before inserting a new key into a full map.
 * Drops the expired entries, then, if live ones still fill it (a flood of distinct sources), the
 * oldest inserted, down to 90% of `max` so the next prune is many inserts away.
 */
export function pruneExpiring<K, V>(map: Map<K, V>, max: number, now: number, expiresAt: (value: V) => number): void {
  for (const [key, value] of map) if (expiresAt(value) <= now) map.delete(key);
  const target = Math.floor(max * 0.9);
  if (map.size <= target) return;
  for (const key of map.keys()) {
    map.delete(key);
    if (map.size <= target) return;
  }
}
