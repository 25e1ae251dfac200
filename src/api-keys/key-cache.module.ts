import { Global, Module } from '@nestjs/common';
import { KeyCache } from './key-cache';
import { KeyInvalidation } from './key-invalidation.service';

/** The verifier's cache and its invalidation, shared with modules that change key owners. */
@Global()
@Module({ providers: [KeyCache, KeyInvalidation], exports: [KeyCache, KeyInvalidation] })
export class KeyCacheModule {}
