import { LeakScanner } from './leak-scanner';
import { describeLeaks, LOG_CAPTURE_DIR_ENV, removeCaptureDir, scanCapturedLogs, sentCredentials } from './log-capture';
import { SUITE_SECRETS } from './test-secrets';

/**
 * Jest global teardown: scans every line the apps logged during the run and fails the run (non-zero
 * exit, offending file:line listed, secrets masked) if any holds a key, JWT, password, server secret
 * or any credential a test sent.
 */
export default function globalTeardown(): void {
  const dir = process.env[LOG_CAPTURE_DIR_ENV];
  if (!dir) return;
  const started = performance.now();
  const scan = scanCapturedLogs(dir, new LeakScanner([...SUITE_SECRETS, ...sentCredentials(dir)]));
  if (scan.leaks.length > 0) throw new Error(describeLeaks(scan));
  const took = Math.round(performance.now() - started);
  process.stdout.write(`Log capture: ${scan.lines} lines from ${scan.files} spec files scanned in ${took} ms, no secrets found.\n`);
  if (process.env.KEYWARD_TEST_LOG_DIR_KEEP !== 'true') removeCaptureDir(dir);
}
