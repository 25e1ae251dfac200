import { Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { AppConfig } from '../config/app-config';
import type { KeySnapshot } from './verification.types';

interface Entry {
  snapshot: KeySnapshot;
  loadedAt: number;
  /** From when a hit should also reload the key in the background; Infinity once claimed. */
  refreshAt: number;
}

/**
 * Refresh-ahead window, as fractions of the TTL: each entry's starts at a random point between
 * these, so keys loaded together (a restart, a burst) are not reloaded together.
 */
const REFRESH_FROM = 0.7;
const REFRESH_SPREAD = 0.2;

/**
 * In-process cache of key snapshots by hash (hex), bounded in size, plus a short negative cache of
 * unknown hashes so a flood of random well-formed keys cannot hammer the database.
 * Entries older than the TTL are reloaded; while the database is down they may be served stale for
 * KEY_CACHE_STALE_IF_ERROR_SECONDS. A key in use is reloaded ahead of its TTL (see claimRefresh), so
 * a hot key never makes its callers wait for the database and hot keys do not expire in a herd.
 */
@Injectable()
export class KeyCache {
  private readonly entries: LRUCache<string, Entry>;
  private readonly missing: LRUCache<string, true> | undefined;
  private readonly hashById = new Map<string, string>();
  private readonly ttlMs: number;
  private readonly staleMs: number;
  /** Bumped by every eviction, whether or not the key was cached. */
  private evictions = 0;

  constructor(config: AppConfig) {
    const { maxEntries, ttlSeconds, staleIfErrorSeconds, negativeTtlSeconds } = config.keys.cache;
    this.ttlMs = ttlSeconds * 1000;
    this.staleMs = (ttlSeconds + staleIfErrorSeconds) * 1000;
    this.entries = new LRUCache<string, Entry>({
      max: Math.max(1, maxEntries),
      dispose: (entry, hash) => {
        if (this.hashById.get(entry.snapshot.id) === hash) this.hashById.delete(entry.snapshot.id);
      },
    });
    this.missing =
      negativeTtlSeconds > 0 ? new LRUCache<string, true>({ max: 10_000, ttl: negativeTtlSeconds * 1000, ttlAutopurge: false }) : undefined;
  }

  /** A snapshot still within the TTL, or undefined. */
  fresh(hash: string, now: number): KeySnapshot | undefined {
    const entry = this.entries.get(hash);
    return entry && now - entry.loadedAt < this.ttlMs ? entry.snapshot : undefined;
  }

  /** A snapshot past its TTL but within the stale-if-error window, for database outages. */
  stale(hash: string, now: number): KeySnapshot | undefined {
    const entry = this.entries.peek(hash);
    return entry && now - entry.loadedAt < this.staleMs ? entry.snapshot : undefined;
  }

  /**
   * True once per load of a fresh entry past its refresh point: the caller reloads it in the
   * background while this copy keeps serving, never past the TTL.
   */
  claimRefresh(hash: string, now: number): boolean {
    const entry = this.entries.peek(hash);
    if (!entry || now < entry.refreshAt) return false;
    entry.refreshAt = Infinity;
    return true;
  }

  isKnownMissing(hash: string): boolean {
    return this.missing?.get(hash) === true;
  }

  /** Taken before a database read: `store` refuses the snapshot if anything was evicted since. */
  version(): number {
    return this.evictions;
  }

  /**
   * Keeps a snapshot read at cache `version`. One read before an eviction may predate the change
   * that caused it (a revocation committed while the read was on its way back): it is not kept.
   */
  store(hash: string, snapshot: KeySnapshot, now: number, version: number): void {
    if (this.ttlMs === 0 || version !== this.evictions) return;
    const refreshAt = now + this.ttlMs * (REFRESH_FROM + Math.random() * REFRESH_SPREAD);
    this.entries.set(hash, { snapshot, loadedAt: now, refreshAt });
    this.hashById.set(snapshot.id, hash);
    this.missing?.delete(hash);
  }

  /** The key is gone from the database: any copy of it goes too. */
  storeMissing(hash: string): void {
    this.entries.delete(hash);
    this.missing?.set(hash, true);
  }

  evictKey(keyId: string): void {
    this.evictions++;
    const hash = this.hashById.get(keyId);
    if (hash !== undefined) this.entries.delete(hash);
  }

  evictOwner(ownerId: string): void {
    this.evictions++;
    for (const [hash, entry] of this.entries.entries()) {
      if (entry.snapshot.ownerId === ownerId) this.entries.delete(hash);
    }
  }

  clear(): void {
    this.evictions++;
    this.entries.clear();
    this.missing?.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}
