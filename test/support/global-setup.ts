import { mkdirSync } from 'node:fs';
import { createCaptureDir, LOG_CAPTURE_DIR_ENV } from './log-capture';

/**
 * Jest global setup: a fresh directory for this run's captured logs (see log-capture.ts). A
 * directory given in KEYWARD_TEST_LOG_DIR is used instead, and kept after the run.
 */
export default function globalSetup(): void {
  const given = process.env[LOG_CAPTURE_DIR_ENV];
  if (given) {
    mkdirSync(given, { recursive: true });
    process.env.KEYWARD_TEST_LOG_DIR_KEEP = 'true';
    return;
  }
  process.env[LOG_CAPTURE_DIR_ENV] = createCaptureDir();
}
