import { Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { AppConfig } from '../config/app-config';

interface AccessTokenClaims {
  sub: string;
  /** The user's token version at issue time; a password change moves it on. */
  ver: number;
}

const ISSUER = 'keyward';
const AUDIENCE = 'keyward-api';

/** Short-lived HS256 access tokens for users. Only HS256 is accepted on the way back in. */
@Injectable()
export class AccessTokenService {
  constructor(
    private readonly jwt: JwtService,
    private readonly config: AppConfig,
  ) {}

  issue(userId: string, tokenVersion: number): { accessToken: string; expiresIn: number } {
    const expiresIn = this.config.auth.accessTokenTtlSeconds;
    const claims: AccessTokenClaims = { sub: userId, ver: tokenVersion };
    const accessToken = this.jwt.sign(claims, {
      secret: this.config.secrets.jwtSecret,
      algorithm: 'HS256',
      expiresIn,
      issuer: ISSUER,
      audience: AUDIENCE,
    });
    return { accessToken, expiresIn };
  }

  /** The claims of a valid token, or undefined for anything expired, tampered or foreign. */
  verify(token: string): AccessTokenClaims | undefined {
    try {
      const claims = this.jwt.verify<AccessTokenClaims & object>(token, {
        secret: this.config.secrets.jwtSecret,
        algorithms: ['HS256'],
        issuer: ISSUER,
        audience: AUDIENCE,
      });
      return typeof claims.sub === 'string' && Number.isInteger(claims.ver) ? claims : undefined;
    } catch {
      return undefined;
    }
  }
}
