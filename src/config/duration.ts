const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/**
 * Parses a duration given as whole seconds (`3600`) or with a unit (`90s`, `15m`, `12h`, `30d`).
 * Returns undefined for anything else so the caller can report the variable by name.
 */
export function parseDurationSeconds(value: string): number | undefined {
  const match = /^(\d{1,10})([smhd]?)$/.exec(value.trim());
  if (!match) return undefined;
  return Number(match[1]) * UNIT_SECONDS[match[2] || 's'];
}
