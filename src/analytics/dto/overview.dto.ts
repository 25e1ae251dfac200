import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

export class OverviewQueryDto {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 8760, default: 24, description: 'Verification window, in hours back from now' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(8760)
  windowHours: number = 24;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 100, default: 10, description: 'Length of topKeys and of each sample' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  top: number = 10;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 3650, default: 30, description: 'Active keys idle this many days count as unused' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(3650)
  unusedDays: number = 30;
}

export class KeysByStateDto {
  @ApiProperty({ type: 'integer' }) active: number;
  @ApiProperty({ type: 'integer' }) expired: number;
  @ApiProperty({ type: 'integer' }) revoked: number;
  @ApiProperty({ type: 'integer' }) disabled: number;
}

export class TimeWindowDto {
  @ApiProperty({ type: String, format: 'date-time', description: 'Start of the first hourly bucket counted' })
  from: string;

  @ApiProperty({ type: String, format: 'date-time' })
  to: string;
}

export class VerificationsDto {
  @ApiProperty({ type: TimeWindowDto }) window: TimeWindowDto;
  @ApiProperty({ type: 'integer' }) total: number;

  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'integer' },
    description: 'Every outcome, zero included',
    example: { VALID: 1200, NOT_FOUND: 0, REVOKED: 4, RATE_LIMITED: 17 },
  })
  byOutcome: Record<string, number>;
}

export class TopKeyDto {
  @ApiProperty({ format: 'uuid' }) keyId: string;
  @ApiProperty() name: string;
  @ApiProperty({ format: 'uuid' }) ownerId: string;
  @ApiProperty({ example: 'live' }) environment: string;
  @ApiProperty({ type: 'integer', description: 'Verifications in the window, every outcome' }) total: number;
  @ApiProperty({ type: 'integer', description: 'Of which VALID' }) valid: number;
}

export class KeySampleDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() name: string;
  @ApiProperty({ format: 'uuid' }) ownerId: string;
  @ApiProperty({ type: String, format: 'date-time' }) createdAt: Date;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) lastUsedAt: Date | null;
}

export class NeverUsedKeysDto {
  @ApiProperty({ type: 'integer' }) count: number;
  @ApiProperty({ type: [KeySampleDto], description: 'At most `top`, longest unused first' }) sample: KeySampleDto[];
}

export class UnusedKeysDto extends NeverUsedKeysDto {
  @ApiProperty({ type: 'integer', description: 'The unusedDays threshold applied' }) days: number;
}

export class AnalyticsOverviewDto {
  @ApiProperty({ type: String, format: 'date-time', description: 'The instant every figure was computed at' })
  generatedAt: string;

  @ApiProperty({ type: KeysByStateDto, description: 'Live (not deleted) keys, honeytokens excluded' })
  keysByState: KeysByStateDto;

  @ApiProperty({ type: 'object', additionalProperties: { type: 'integer' }, example: { live: 40, test: 12 } })
  keysByEnvironment: Record<string, number>;

  @ApiProperty({ type: 'integer', description: 'Live decoy keys; left out of every other figure' })
  honeytokens: number;

  @ApiProperty({ type: VerificationsDto, description: "Recorded verification outcomes of every non-decoy key, deleted keys' included" })
  verifications: VerificationsDto;

  @ApiProperty({ type: [TopKeyDto], description: 'Live keys with the most verifications in the window' })
  topKeys: TopKeyDto[];

  @ApiProperty({ type: NeverUsedKeysDto, description: 'Live, unrevoked keys with no recorded use (lastUsedAt null)' })
  neverUsed: NeverUsedKeysDto;

  @ApiProperty({ type: UnusedKeysDto, description: 'Active keys not used (or, if never used, created) within `days`' })
  unused: UnusedKeysDto;
}
