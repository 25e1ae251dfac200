import { Injectable } from '@nestjs/common';
import { Job, type JobHandler } from '../jobs/job.decorator';
import { ApiKeysRepository } from './api-keys.repository';

/** Refills usage credits on each key's schedule (daily or monthly, UTC). */
@Injectable()
@Job('credit-refill')
export class CreditRefillJob implements JobHandler {
  constructor(private readonly keys: ApiKeysRepository) {}

  async run(): Promise<{ refilled: number }> {
    return { refilled: await this.keys.refillDueCredits() };
  }
}
