import { Global, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { JobRunner } from './job-runner';
import { JobsController } from './jobs.controller';

/** Schedules and runs every provider marked `@Job(name)`, wherever it is declared. */
@Global()
@Module({ imports: [DiscoveryModule], controllers: [JobsController], providers: [JobRunner], exports: [JobRunner] })
export class JobsModule {}
