import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDate, IsIn, IsIP, IsOptional, IsString, IsUUID, Matches, MaxLength } from 'class-validator';
import { PageQueryDto } from '../../common/pagination/page-query.dto';
import { SECURITY_SEVERITIES, SecurityEventType, type SecuritySeverity } from '../security-event.types';

/** `key.invalid_burst`, or a prefix ending in a dot such as `key.`. */
const TYPE_FILTER = /^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*\.?$/;

export class ListSecurityEventsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({
    maxLength: 64,
    example: 'key.',
    description: `An event type (${Object.values(SecurityEventType).join(', ')}), or a prefix ending in a dot (\`key.\`)`,
  })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  @Matches(TYPE_FILTER, { message: 'type must be an event type or a prefix ending in "."' })
  type?: string;

  @ApiPropertyOptional({ enum: SECURITY_SEVERITIES })
  @IsOptional()
  @IsIn(SECURITY_SEVERITIES)
  severity?: SecuritySeverity;

  @ApiPropertyOptional({ description: 'Source IP address (exact)', example: '203.0.113.7' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  @IsIP()
  ip?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  userId?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  keyId?: string;

  @ApiPropertyOptional({ type: String, format: 'date-time', description: 'Events at or after this time' })
  @IsOptional()
  @Type(() => Date)
  @IsDate()
  from?: Date;

  @ApiPropertyOptional({ type: String, format: 'date-time', description: 'Events before this time' })
  @IsOptional()
  @Type(() => Date)
  @IsDate()
  to?: Date;
}

export class SecurityEventResponseDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ type: String, format: 'date-time', description: 'When the event was raised' }) createdAt: Date;
  @ApiProperty({ example: SecurityEventType.KEY_INVALID_BURST }) type: string;
  @ApiProperty({ enum: SECURITY_SEVERITIES }) severity: SecuritySeverity;
  @ApiProperty({ type: String, nullable: true, example: '203.0.113.7' }) sourceIp: string | null;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) userId: string | null;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) keyId: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true, example: { failures: 50, windowSeconds: 60 } })
  details: Record<string, unknown>;
}
