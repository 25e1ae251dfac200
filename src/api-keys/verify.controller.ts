import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import { RequirePermissions } from '../common/auth/auth.decorators';
import { ErrorResponseDto } from '../common/errors/error-response.dto';
import { VerifyKeyDto, VerifyKeyResponseDto } from './dto/verify.dto';
import { KeyVerifier } from './key-verifier';
import type { VerifyInput, VerifyResult } from './verification.types';
import { VerifyBodyPipe } from './verify-body.pipe';

@ApiTags('keys')
@Controller('keys')
export class VerifyController {
  constructor(private readonly verifier: KeyVerifier) {}

  /** Always 200 for a well-formed request: the answer is in `valid` and `code`. */
  @Post('verify')
  @HttpCode(200)
  // Gateways call from few addresses at high rates: per-key limits apply instead of per-IP throttling.
  @SkipThrottle()
  @RequirePermissions('keys:verify')
  @ApiBody({ type: VerifyKeyDto })
  @ApiOkResponse({ type: VerifyKeyResponseDto })
  @ApiServiceUnavailableResponse({ type: ErrorResponseDto, description: 'Key not cached and the database is unreachable' })
  // The body is checked by VerifyBodyPipe alone: its interface type keeps the global pipe out.
  verify(@Body(VerifyBodyPipe) input: VerifyInput): Promise<VerifyResult> {
    return this.verifier.verify(input);
  }
}
