import { DiscoveryService } from '@nestjs/core';

/** A scheduled job: a thin class whose `run` calls a service and says what it did. */
export interface JobHandler {
  run(): Promise<Record<string, unknown>>;
}

/** Marks a provider as the job of that name; JobRunner finds it, schedules it and runs it. */
export const Job = DiscoveryService.createDecorator<string>();
