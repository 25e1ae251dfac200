import { DynamicModule, Global, Module } from '@nestjs/common';

/**
 * The one source of time for scheduled and recorded work (audit records, retention, expiry), so
 * tests move time instead of sleeping. The verify hot path reads `Date.now()` directly.
 */
export abstract class Clock {
  abstract now(): number;

  date(): Date {
    return new Date(this.now());
  }
}

export class SystemClock extends Clock {
  now(): number {
    return Date.now();
  }
}

@Global()
@Module({})
export class ClockModule {
  static register(clock: Clock = new SystemClock()): DynamicModule {
    return { module: ClockModule, providers: [{ provide: Clock, useValue: clock }], exports: [Clock] };
  }
}
