import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsDate,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateNested,
} from 'class-validator';
import { PageQueryDto } from '../../common/pagination/page-query.dto';
import {
  IsCidr,
  IsOptionalNotNull,
  IsSmallJsonObject,
  IsPermissionList,
  ROLE_PATTERN,
} from '../../common/validation/validators';
import type { KeyStatus } from '../api-keys.repository';
import type { RefillInterval } from '../entities/api-key.entity';

const KEY_STATUSES: KeyStatus[] = ['active', 'expired', 'revoked', 'disabled'];
const REFILL_INTERVALS: RefillInterval[] = ['daily', 'monthly'];
const ENVIRONMENT_PATTERN = /^[a-z][a-z0-9]{0,15}$/;
const MAX_COUNT = 1_000_000_000;
const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

export class RateLimitDto {
  @ApiProperty({ minimum: 1, maximum: MAX_COUNT, example: 100 })
  @IsInt()
  @Min(1)
  @Max(MAX_COUNT)
  limit: number;

  @ApiProperty({ minimum: 1, maximum: 86400, example: 60 })
  @IsInt()
  @Min(1)
  @Max(86400)
  windowSeconds: number;
}

export class RefillDto {
  @ApiProperty({ minimum: 1, maximum: MAX_COUNT, description: 'The balance is set to this on every refill' })
  @IsInt()
  @Min(1)
  @Max(MAX_COUNT)
  amount: number;

  @ApiProperty({ enum: REFILL_INTERVALS })
  @IsIn(REFILL_INTERVALS)
  interval: RefillInterval;
}

/** Fields a key's owner may set at creation and change later. */
class KeySettingsDto {
  @ApiPropertyOptional({ type: [String], example: ['orders:read'], maxItems: 100 })
  @IsOptionalNotNull()
  @IsPermissionList(100)
  permissions?: string[];

  @ApiPropertyOptional({ type: [String], example: ['service'], maxItems: 20 })
  @IsOptionalNotNull()
  @IsArray()
  @ArrayMaxSize(20)
  @IsString({ each: true })
  @Matches(ROLE_PATTERN, { each: true, message: 'each role must be a role name' })
  roles?: string[];

  @ApiPropertyOptional({ type: [String], example: ['10.0.0.0/8', '2001:db8::/32'], maxItems: 100 })
  @IsOptionalNotNull()
  @IsArray()
  @ArrayMaxSize(100)
  @IsCidr({ each: true })
  ipAllowlist?: string[];

  @ApiPropertyOptional({ type: RateLimitDto, nullable: true, description: 'null: the deployment default' })
  @IsOptional()
  @ValidateNested()
  @Type(() => RateLimitDto)
  rateLimit?: RateLimitDto | null;

  @ApiPropertyOptional({ minimum: 0, maximum: MAX_COUNT, nullable: true, description: 'Usage credits; null = unlimited' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_COUNT)
  remaining?: number | null;

  @ApiPropertyOptional({ type: RefillDto, nullable: true })
  @IsOptional()
  @ValidateNested()
  @Type(() => RefillDto)
  refill?: RefillDto | null;

  @ApiPropertyOptional({ minimum: 3600, maximum: 31_536_000, nullable: true, description: 'Rotate automatically this long after creation' })
  @IsOptional()
  @IsInt()
  @Min(3600)
  @Max(31_536_000)
  rotationIntervalSeconds?: number | null;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: 'Up to 4 KB of JSON, depth 4', example: { team: 'billing' } })
  @IsOptionalNotNull()
  @IsSmallJsonObject(4096, 4)
  meta?: Record<string, unknown>;
}

export class CreateApiKeyDto extends KeySettingsDto {
  @ApiProperty({ example: 'billing-service production', maxLength: 100 })
  @Transform(trim)
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  name: string;

  @ApiPropertyOptional({ example: 'live', description: 'Environment tag in the key (default KEY_DEFAULT_ENVIRONMENT)' })
  @IsOptional()
  @IsString()
  @Matches(ENVIRONMENT_PATTERN, { message: 'environment must be 1-16 lowercase letters/digits' })
  environment?: string;

  @ApiPropertyOptional({ type: String, format: 'date-time', description: 'Absolute expiry (or ttlSeconds, not both)' })
  @IsOptional()
  @Type(() => Date)
  @IsDate()
  expiresAt?: Date;

  @ApiPropertyOptional({ minimum: 60, description: 'Relative expiry (or expiresAt, not both)' })
  @IsOptional()
  @IsInt()
  @Min(60)
  @Max(3_153_600_000)
  ttlSeconds?: number;

  @ApiPropertyOptional({ default: false, description: 'A decoy key: never valid, and any use raises a security event' })
  @IsOptional()
  @IsBoolean()
  honeytoken?: boolean;

  @ApiPropertyOptional({ format: 'uuid', description: 'Create for another user (needs keys:read:all)' })
  @IsOptional()
  @IsUUID()
  ownerId?: string;
}

export class UpdateApiKeyDto extends KeySettingsDto {
  @ApiPropertyOptional({ maxLength: 100 })
  @IsOptionalNotNull()
  @Transform(trim)
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  name?: string;

  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true })
  @IsOptional()
  @Type(() => Date)
  @IsDate()
  expiresAt?: Date | null;

  @ApiPropertyOptional()
  @IsOptionalNotNull()
  @IsBoolean()
  enabled?: boolean;
}

export class RevokeApiKeyDto {
  @ApiPropertyOptional({ maxLength: 500, example: 'leaked in a CI log' })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  reason?: string;
}

export class RollApiKeyDto {
  @ApiPropertyOptional({
    minimum: 0,
    maximum: 30 * 86400,
    example: 3600,
    description: 'How long the old key keeps working (0 = stops now); default KEY_ROTATION_GRACE_PERIOD',
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(30 * 86400)
  gracePeriodSeconds?: number;
}

export class ListApiKeysQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: KEY_STATUSES })
  @IsOptional()
  @IsIn(KEY_STATUSES)
  status?: KeyStatus;

  @ApiPropertyOptional()
  @IsOptional()
  @Matches(ENVIRONMENT_PATTERN)
  environment?: string;

  @ApiPropertyOptional({ description: 'Substring of the name', maxLength: 100 })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  q?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'Only this owner (callers with keys:read:all)' })
  @IsOptional()
  @IsUUID()
  ownerId?: string;
}

export class UsageQueryDto {
  @ApiPropertyOptional({ type: String, format: 'date-time', description: 'Default: 24 hours (hour) or 30 days (day) ago' })
  @IsOptional()
  @Type(() => Date)
  @IsDate()
  from?: Date;

  @ApiPropertyOptional({ type: String, format: 'date-time', description: 'Default: now' })
  @IsOptional()
  @Type(() => Date)
  @IsDate()
  to?: Date;

  @ApiPropertyOptional({ enum: ['hour', 'day'], default: 'hour' })
  @IsOptional()
  @IsIn(['hour', 'day'])
  granularity: 'hour' | 'day' = 'hour';
}

export class ApiKeyResponseDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() name: string;
  @ApiProperty({ format: 'uuid' }) ownerId: string;
  @ApiProperty({ example: 'live' }) environment: string;
  @ApiProperty({ example: 'kw_live_3xK9', description: 'First characters, for recognising the key' }) start: string;
  @ApiProperty({ example: 'bC2d' }) last4: string;
  @ApiProperty({ enum: KEY_STATUSES }) status: KeyStatus;
  @ApiProperty({ type: [String] }) permissions: string[];
  @ApiProperty({ type: [String] }) roles: string[];
  @ApiProperty({ type: [String] }) ipAllowlist: string[];
  @ApiProperty({ type: RateLimitDto, nullable: true }) rateLimit: RateLimitDto | null;
  @ApiProperty({ type: Number, nullable: true }) remaining: number | null;
  @ApiProperty({ type: RefillDto, nullable: true }) refill: RefillDto | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) expiresAt: Date | null;
  @ApiProperty() enabled: boolean;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) revokedAt: Date | null;
  @ApiProperty({ type: String, nullable: true }) revokedReason: string | null;
  @ApiProperty({ type: Number, nullable: true }) rotationIntervalSeconds: number | null;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) rotatedFromId: string | null;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) rotatedToId: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) lastUsedAt: Date | null;
  @ApiProperty({ type: 'object', additionalProperties: true }) meta: Record<string, unknown>;
  @ApiProperty() honeytoken: boolean;
  @ApiProperty({ type: String, format: 'date-time' }) createdAt: Date;
  @ApiProperty({ type: String, format: 'date-time' }) updatedAt: Date;
}

export class CreatedApiKeyResponseDto extends ApiKeyResponseDto {
  @ApiProperty({ description: 'The key itself. Shown this once: store it now, it cannot be retrieved again.' })
  key: string;
}

export class UsagePointDto {
  @ApiProperty({ type: String, format: 'date-time' }) time: string;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'integer' }, example: { VALID: 120, RATE_LIMITED: 3 } })
  outcomes: Record<string, number>;
  @ApiProperty() total: number;
}

export class UsageResponseDto {
  @ApiProperty({ format: 'uuid' }) keyId: string;
  @ApiProperty({ enum: ['hour', 'day'] }) granularity: 'hour' | 'day';
  @ApiProperty({ type: String, format: 'date-time' }) from: string;
  @ApiProperty({ type: String, format: 'date-time' }) to: string;
  @ApiProperty({ type: [UsagePointDto] }) series: UsagePointDto[];
}
