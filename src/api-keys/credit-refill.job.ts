import { Injectable, Logger } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';
import { ApiKeysRepository } from './api-keys.repository';

/** Refills usage credits on each key's schedule (daily or monthly, UTC). */
@Injectable()
export class CreditRefillJob {
  private readonly logger = new Logger(CreditRefillJob.name);
  /** For /admin/system. */
  lastRun?: { at: Date; refilled: number; error?: string };

  constructor(private readonly keys: ApiKeysRepository) {}

  @Interval('credit-refill', 60_000)
  async handle(): Promise<number> {
    try {
      const refilled = await this.keys.refillDueCredits();
      if (refilled > 0) this.logger.log(`Refilled credits of ${refilled} keys`);
      this.lastRun = { at: new Date(), refilled };
      return refilled;
    } catch (error) {
      this.logger.error(`Credit refill failed: ${(error as Error).message}`);
      this.lastRun = { at: new Date(), refilled: 0, error: (error as Error).message };
      return 0;
    }
  }
}
