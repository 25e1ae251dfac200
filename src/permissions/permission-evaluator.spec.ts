import { intersectPermissions, isGranted, missingPermissions, permissionCovers } from './permission-evaluator';

describe('permission evaluator', () => {
  it.each([
    ['*', 'keys:read', true],
    ['keys:*', 'keys:read', true],
    ['keys:*', 'keys:read:all', true],
    ['keys:read', 'keys:read', true],
    ['keys:read', 'keys:read:all', false],
    ['keys:read', 'keys:create', false],
    ['keys:*', 'keyset:read', false],
    ['keys:*', 'keys:*', true],
    ['keys:read', 'keys:*', false],
    ['keys:*', '*', false],
  ])('%s covers %s: %s', (granted, required, expected) => {
    expect(permissionCovers(granted, required)).toBe(expected);
  });

  it('requires every permission', () => {
    expect(missingPermissions(['a:read', 'b:write'], ['a:*'])).toEqual(['b:write']);
    expect(isGranted('a:read', [])).toBe(false);
  });

  it('intersects wildcards down to the narrower side', () => {
    expect(intersectPermissions(['orders:*', 'users:read'], ['orders:read', 'orders:write'])).toEqual([
      'orders:read',
      'orders:write',
    ]);
    expect(intersectPermissions(['*'], ['keys:read'])).toEqual(['keys:read']);
    expect(intersectPermissions(['keys:read'], ['*'])).toEqual(['keys:read']);
    expect(intersectPermissions(['keys:read'], [])).toEqual([]);
  });
});
