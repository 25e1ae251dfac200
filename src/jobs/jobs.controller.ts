import { Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { RequirePermissions } from '../common/auth/auth.decorators';
import { ErrorResponseDto } from '../common/errors/error-response.dto';
import { JobRunDto, JobStatusDto } from './dto/job.dto';
import { JobRunner, type JobRun, type JobStatus } from './job-runner';
import { NamePipe } from '../permissions/name.pipe';

@ApiTags('admin: jobs')
@Controller('admin/jobs')
export class JobsController {
  constructor(private readonly jobs: JobRunner) {}

  /** Every scheduled job with its interval and last run (from any instance). */
  @Get()
  @RequirePermissions('system:read')
  @ApiOkResponse({ type: [JobStatusDto] })
  list(): Promise<JobStatus[]> {
    return this.jobs.status();
  }

  /** Runs a job now and answers with what it did; `ran: false` when it is running elsewhere. */
  @Post(':name/run')
  @HttpCode(200)
  @RequirePermissions('system:manage')
  @ApiOkResponse({ type: JobRunDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  run(@Param('name', NamePipe) name: string): Promise<JobRun> {
    return this.jobs.run(name);
  }
}
