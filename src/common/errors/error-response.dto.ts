import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ErrorCode } from './error-code';

/** The one error shape every route answers with. */
export class ErrorResponseDto {
  @ApiProperty({ example: 404 })
  statusCode: number;

  @ApiProperty({ example: 'Not Found' })
  error: string;

  @ApiProperty({ example: 'API key not found' })
  message: string;

  @ApiPropertyOptional({ enum: ErrorCode, example: ErrorCode.NOT_FOUND })
  code?: ErrorCode;

  @ApiProperty({ example: '5f0c6c1e-2f43-4f7e-9a55-1d0c8c7d9e11' })
  requestId: string;

  @ApiPropertyOptional({
    description: 'Per-field validation messages, or other structured context',
    example: [{ field: 'email', messages: ['email must be an email'] }],
  })
  details?: unknown;
}
