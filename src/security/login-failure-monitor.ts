import { Injectable } from '@nestjs/common';
import { Clock } from '../common/time/clock';
import { AppConfig } from '../config/app-config';
import { pruneExpiring } from './bounded-map';
import { SecurityEventType } from './security-event.types';
import { SecurityEventsService } from './security-events.service';

const MAX_TRACKED_IPS = 100_000;

/**
 * Detects password guessing from one source: LOGIN_BRUTE_FORCE_THRESHOLD failed logins from an IP
 * within LOGIN_BRUTE_FORCE_WINDOW (counted from its first failure) raise `login.brute_force`.
 * Detection only (the per-IP login throttle and account lockout do the refusing), so counting is
 * per instance, in memory.
 */
@Injectable()
export class LoginFailureMonitor {
  private readonly threshold: number;
  private readonly windowMs: number;
  private readonly failures = new Map<string, { start: number; count: number }>();

  constructor(
    config: AppConfig,
    private readonly events: SecurityEventsService,
    private readonly clock: Clock,
  ) {
    this.threshold = config.security.loginBruteForce.threshold;
    this.windowMs = config.security.loginBruteForce.windowSeconds * 1000;
  }

  /** Counts one failed login (wrong password, unknown email or locked account) from `ip`. */
  loginFailed(ip: string | undefined): void {
    if (ip === undefined) return;
    const now = this.clock.now();
    let entry = this.failures.get(ip);
    if (entry === undefined || entry.start + this.windowMs <= now) {
      if (entry === undefined && this.failures.size >= MAX_TRACKED_IPS) {
        pruneExpiring(this.failures, MAX_TRACKED_IPS, now, (e) => e.start + this.windowMs);
      }
      entry = { start: now, count: 0 };
      // Re-inserted, so the map stays in window order for pruning.
      this.failures.delete(ip);
      this.failures.set(ip, entry);
    }
    if (++entry.count === this.threshold) {
      this.events.raise({
        type: SecurityEventType.LOGIN_BRUTE_FORCE,
        sourceIp: ip,
        details: { failures: entry.count, windowSeconds: this.windowMs / 1000 },
      });
    }
  }
}
