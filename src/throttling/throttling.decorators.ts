import { SetMetadata } from '@nestjs/common';

export const LOGIN_THROTTLE = 'keyward:login-throttle';

/** Adds the stricter per-IP `login` throttler (THROTTLE_LOGIN_LIMIT per THROTTLE_WINDOW) to a route. */
export const LoginThrottle = () => SetMetadata(LOGIN_THROTTLE, true);
