/**
 * Pure permission logic, used everywhere a permission is checked or granted.
 * Permissions are `resource:action[:qualifier]`; `*` grants everything and `resource:*` grants
 * every permission under `resource:`.
 */

/** Does holding `granted` cover `required`? */
export function permissionCovers(granted: string, required: string): boolean {
  if (granted === '*' || granted === required) return true;
  return granted.endsWith(':*') && required.startsWith(granted.slice(0, -1));
}

/** Is `required` covered by any held permission? */
export function isGranted(required: string, held: readonly string[]): boolean {
  for (const granted of held) if (permissionCovers(granted, required)) return true;
  return false;
}

/** The required permissions not covered by `held` (empty when all are granted). */
export function missingPermissions(required: readonly string[], held: readonly string[]): string[] {
  return required.filter((permission) => !isGranted(permission, held));
}

/**
 * What a holder of both sets may do: the permissions of `a` covered by `b`, plus, where `a` holds a
 * wildcard that `b` only partly covers, the narrower grants of `b` under it.
 */
export function intersectPermissions(a: readonly string[], b: readonly string[]): string[] {
  const result = new Set<string>();
  for (const permission of a) {
    if (isGranted(permission, b)) result.add(permission);
    else for (const narrower of b) if (permissionCovers(permission, narrower)) result.add(narrower);
  }
  return [...result].sort();
}
