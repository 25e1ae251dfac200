import { Injectable } from '@nestjs/common';
import { Job, type JobHandler } from '../jobs/job.decorator';
import { KeyLifecycleService } from './key-lifecycle.service';
import { KeyRotationService } from './key-rotation.service';

@Injectable()
@Job('rotation')
export class KeyRotationJob implements JobHandler {
  constructor(private readonly rotation: KeyRotationService) {}

  run() {
    return this.rotation.rotateDue();
  }
}

@Injectable()
@Job('expiry')
export class KeyExpiryJob implements JobHandler {
  constructor(private readonly lifecycle: KeyLifecycleService) {}

  run() {
    return this.lifecycle.recordExpiries();
  }
}

@Injectable()
@Job('stale-keys')
export class StaleKeyJob implements JobHandler {
  constructor(private readonly lifecycle: KeyLifecycleService) {}

  run() {
    return this.lifecycle.disableStaleKeys();
  }
}
