import { ApiProperty } from '@nestjs/swagger';
import { JobStatusDto } from '../../jobs/dto/job.dto';

export class SystemInfoDto {
  @ApiProperty({ example: '0.1.0' }) version: string;
  @ApiProperty({ example: 'v24.21.0' }) node: string;
  @ApiProperty({ type: String, format: 'date-time' }) startedAt: string;
  @ApiProperty() uptimeSeconds: number;
  @ApiProperty({ example: { mode: 'postgres', status: 'up' } }) database: { mode: 'postgres' | 'embedded'; status: 'up' | 'down' };
  @ApiProperty({ example: { configured: true, status: 'up' } }) redis: { configured: boolean; status: 'up' | 'down' | 'not configured' };
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'Effective settings, without secrets' })
  config: Record<string, unknown>;
  @ApiProperty({ type: [JobStatusDto], description: 'Empty while the database is unreachable' })
  jobs: JobStatusDto[];
}
