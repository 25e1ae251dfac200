import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class JobRunDto {
  @ApiProperty({ example: 'rotation' }) name: string;
  @ApiProperty({ description: 'False when the job was already running (on this or another instance)' }) ran: boolean;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, example: { rotated: 3 } }) result?: Record<string, unknown>;
  @ApiPropertyOptional() error?: string;
}

export class JobLastRunDto {
  @ApiProperty({ format: 'date-time' }) startedAt: Date;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'Null while running' }) finishedAt: Date | null;
  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true }) result: Record<string, unknown> | null;
  @ApiProperty({ type: String, nullable: true }) error: string | null;
}

export class JobStatusDto {
  @ApiProperty({ example: 'expiry' }) name: string;
  @ApiProperty({ description: 'Seconds between ticks' }) intervalSeconds: number;
  @ApiProperty({ type: JobLastRunDto, nullable: true }) lastRun: JobLastRunDto | null;
}
