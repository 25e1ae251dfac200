import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { MAX_PAGE_SIZE, PageQueryDto } from '../../common/pagination/page-query.dto';

export class ExpiringReportQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 365, default: 30 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(365)
  withinDays: number = 30;

  // Same bounds as every page (validators inherited); only the default differs.
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: MAX_PAGE_SIZE, default: 50 })
  override limit: number = 50;
}

export class KeyOwnerDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() email: string;
  @ApiProperty() name: string;
}

export class ExpiringKeyDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() name: string;
  @ApiProperty({ example: 'live' }) environment: string;
  @ApiProperty({ example: 'kw_live_3xK9' }) start: string;
  @ApiProperty({ example: 'bC2d' }) last4: string;
  @ApiProperty({ type: String, format: 'date-time' }) expiresAt: Date;
  @ApiProperty({ type: 'integer', description: 'Whole days left; 0 = expires within 24 hours' }) daysLeft: number;
  @ApiProperty({ type: KeyOwnerDto }) owner: KeyOwnerDto;
}
