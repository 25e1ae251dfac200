import { Injectable, Logger } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';
import { ApiKeysRepository } from './api-keys.repository';

/** Refills usage credits on each key's schedule (daily or monthly, UTC). */
@Injectable()
export class CreditRefillJob {
  private readonly logger = new Logger(CreditRefillJob.name);

  constructor(private readonly keys: ApiKeysRepository) {}

  @Interval('credit-refill', 60_000)
  async handle(): Promise<number> {
    try {
      const refilled = await this.keys.refillDueCredits();
      if (refilled > 0) this.logger.log(`Refilled credits of ${refilled} keys`);
      return refilled;
    } catch (error) {
      this.logger.error(`Credit refill failed: ${(error as Error).message}`);
      return 0;
    }
  }
}
