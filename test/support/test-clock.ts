import { Clock } from '../../src/common/time/clock';

/** Real time plus an offset the test moves forward: scheduled work "happens later" without sleeping. */
export class TestClock extends Clock {
  private offsetMs = 0;

  now(): number {
    return Date.now() + this.offsetMs;
  }

  advance(seconds: number): void {
    this.offsetMs += seconds * 1000;
  }
}
