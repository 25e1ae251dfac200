import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIP, IsOptional, IsString, MaxLength } from 'class-validator';
import { IsPermissionList } from '../../common/validation/validators';
import { VerifyCode } from '../verification.types';

export const VERIFY_KEY_MAX_LENGTH = 65536;
export const VERIFY_MAX_PERMISSIONS = 50;
export const PERMISSION_QUERY_MAX_LENGTH = 1000;

export class VerifyKeyDto {
  @ApiProperty({ description: 'The API key to check', example: 'kw_live_3xK…9Qa1bC2d', maxLength: VERIFY_KEY_MAX_LENGTH })
  @IsString()
  // Anything longer than a key is answered MALFORMED (not 400), up to this bound.
  @MaxLength(VERIFY_KEY_MAX_LENGTH)
  key: string;

  @ApiPropertyOptional({ type: [String], description: 'All are required', example: ['orders:read'], maxItems: VERIFY_MAX_PERMISSIONS })
  @IsOptional()
  @IsPermissionList(VERIFY_MAX_PERMISSIONS)
  permissions?: string[];

  @ApiPropertyOptional({
    description: 'Boolean expression over permissions with AND, OR and parentheses; checked after `permissions`',
    example: 'orders:read AND (orders:write OR admin:*)',
    maxLength: PERMISSION_QUERY_MAX_LENGTH,
  })
  @IsOptional()
  @IsString()
  @MaxLength(PERMISSION_QUERY_MAX_LENGTH)
  permissionQuery?: string;

  @ApiPropertyOptional({ description: "The end client's address, checked against IP allowlists", example: '203.0.113.7' })
  @IsOptional()
  @IsIP()
  ip?: string;
}

export class RateLimitStateDto {
  @ApiProperty() limit: number;
  @ApiProperty() remaining: number;
  @ApiProperty({ description: 'Unix time in milliseconds when the window resets' }) reset: number;
}

export class VerifyKeyResponseDto {
  @ApiProperty() valid: boolean;
  @ApiPropertyOptional({ enum: Object.values(VerifyCode).filter((c) => c !== VerifyCode.VALID), description: 'Why the key is not valid' })
  code?: string;
  @ApiPropertyOptional({ format: 'uuid' }) keyId?: string;
  @ApiPropertyOptional({ format: 'uuid' }) ownerId?: string;
  @ApiPropertyOptional() name?: string;
  @ApiPropertyOptional() environment?: string;
  @ApiPropertyOptional({ type: [String] }) permissions?: string[];
  @ApiPropertyOptional({ type: 'object', additionalProperties: true }) meta?: Record<string, unknown>;
  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true }) expiresAt?: string | null;
  @ApiPropertyOptional({ type: RateLimitStateDto }) ratelimit?: RateLimitStateDto;
  @ApiPropertyOptional({ description: 'Credits left after this verification' }) remaining?: number;
}
