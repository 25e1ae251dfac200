import { ApiProperty, ApiPropertyOptional, IntersectionType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDate, IsIn, IsInt, IsIP, IsOptional, IsString, IsUUID, Matches, MaxLength, Min } from 'class-validator';
import { PageQueryDto } from '../../common/pagination/page-query.dto';
import { AUDIT_ACTOR_TYPES, AUDIT_OUTCOMES, type AuditActorType, type AuditOutcome } from '../audit-record';

export class AuditFilterDto {
  @ApiPropertyOptional({ enum: AUDIT_ACTOR_TYPES })
  @IsOptional()
  @IsIn(AUDIT_ACTOR_TYPES)
  actorType?: AuditActorType;

  @ApiPropertyOptional({ format: 'uuid', description: 'A user or key id' })
  @IsOptional()
  @IsUUID()
  actorId?: string;

  @ApiPropertyOptional({ description: 'Action prefix: `key.` matches every key action', example: 'key.', maxLength: 64 })
  @IsOptional()
  @IsString()
  @Matches(/^[a-z_.]{1,64}$/, { message: 'action must be an action name or prefix (lowercase letters, dots, underscores)' })
  action?: string;

  @ApiPropertyOptional({ example: 'api_key', maxLength: 32 })
  @IsOptional()
  @IsString()
  @MaxLength(32)
  targetType?: string;

  @ApiPropertyOptional({ description: 'A key or user id, or a role or permission name', maxLength: 200 })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  targetId?: string;

  @ApiPropertyOptional({ enum: AUDIT_OUTCOMES })
  @IsOptional()
  @IsIn(AUDIT_OUTCOMES)
  outcome?: AuditOutcome;

  @ApiPropertyOptional({ example: '203.0.113.7' })
  @IsOptional()
  @IsIP()
  ip?: string;

  @ApiPropertyOptional({ type: String, format: 'date-time', description: 'Inclusive' })
  @IsOptional()
  @Type(() => Date)
  @IsDate()
  from?: Date;

  @ApiPropertyOptional({ type: String, format: 'date-time', description: 'Exclusive' })
  @IsOptional()
  @Type(() => Date)
  @IsDate()
  to?: Date;
}

export class AuditQueryDto extends IntersectionType(AuditFilterDto, PageQueryDto) {}

export const EXPORT_FORMATS = ['ndjson', 'csv'] as const;

export class AuditExportQueryDto extends AuditFilterDto {
  @ApiPropertyOptional({ enum: EXPORT_FORMATS, default: 'ndjson' })
  @IsOptional()
  @IsIn(EXPORT_FORMATS)
  format: (typeof EXPORT_FORMATS)[number] = 'ndjson';
}

export class AuditVerifyQueryDto {
  @ApiPropertyOptional({ minimum: 1, description: 'First sequence number to check (default: the oldest kept)' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  fromSeq?: number;

  @ApiPropertyOptional({ minimum: 1, description: 'Last sequence number to check (default: the newest)' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  toSeq?: number;
}

export class AuditActorDto {
  @ApiProperty({ enum: AUDIT_ACTOR_TYPES }) type: AuditActorType;
  @ApiProperty({ type: String, nullable: true }) id: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'Email of a user, name of a key' }) name: string | null;
}

export class AuditTargetDto {
  @ApiProperty({ type: String, nullable: true, example: 'api_key' }) type: string | null;
  @ApiProperty({ type: String, nullable: true }) id: string | null;
}

export class AuditRecordDto {
  @ApiProperty({ description: 'Position in the chain' }) seq: number;
  @ApiProperty({ format: 'date-time' }) time: string;
  @ApiProperty({ type: AuditActorDto }) actor: AuditActorDto;
  @ApiProperty({ example: 'key.created' }) action: string;
  @ApiProperty({ type: AuditTargetDto }) target: AuditTargetDto;
  @ApiProperty({ enum: AUDIT_OUTCOMES }) outcome: AuditOutcome;
  @ApiProperty({ type: String, nullable: true }) ip: string | null;
  @ApiProperty({ type: String, nullable: true }) userAgent: string | null;
  @ApiProperty({ type: String, nullable: true }) requestId: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'Never a secret' }) details: Record<string, unknown>;
  @ApiProperty({ description: 'sha256(previous hash || canonical record), hex' }) hash: string;
}

export class AuditVerificationDto {
  @ApiProperty() ok: boolean;
  @ApiProperty({ description: 'Records checked' }) checked: number;
  @ApiProperty({ type: Number, nullable: true }) fromSeq: number | null;
  @ApiProperty({ type: Number, nullable: true }) toSeq: number | null;
  @ApiProperty() headSeq: number;
  @ApiPropertyOptional({ description: 'First broken sequence number' }) brokenAt?: number;
  @ApiPropertyOptional() reason?: string;
}
