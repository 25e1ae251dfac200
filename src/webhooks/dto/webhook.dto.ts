import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional, type ApiPropertyOptions } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsBoolean, IsIn, IsOptional, IsString, IsUrl, Matches, MaxLength } from 'class-validator';
import { PageQueryDto } from '../../common/pagination/page-query.dto';
import { IsOptionalNotNull } from '../../common/validation/validators';
import { DELIVERY_STATUSES, type DeliveryStatus } from '../entities/webhook-delivery.entity';
import { EVENT_SUBSCRIPTION_PATTERN, EVENT_TYPE_MAX_LENGTH, WebhookEventType, type WebhookPayload } from '../webhook-events';

const URL_MAX_LENGTH = 2048;
const DESCRIPTION_MAX_LENGTH = 200;
const MAX_EVENT_TYPES = 20;

const URL_DOC: ApiPropertyOptions = { maxLength: URL_MAX_LENGTH, example: 'https://hooks.example.com/keyward', description: 'http or https; redirects are not followed' };
const EVENT_TYPES_DOC: ApiPropertyOptions = {
  type: [String],
  minItems: 1,
  maxItems: MAX_EVENT_TYPES,
  example: [WebhookEventType.KEY_REVOKED, 'security.*'],
  description: `\`*\`, event types (${Object.values(WebhookEventType).join(', ')}, security.<event type>), or prefixes such as \`security.*\``,
};

/** http(s) only, no credentials in the URL (fetch refuses them; put secrets in the path or query instead). */
function IsWebhookUrl(): PropertyDecorator {
  return IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true, disallow_auth: true }, { message: 'url must be an http or https URL' });
}

function IsEventTypeList(): PropertyDecorator {
  return applyDecorators(
    IsArray(),
    ArrayMinSize(1),
    ArrayMaxSize(MAX_EVENT_TYPES),
    IsString({ each: true }),
    MaxLength(EVENT_TYPE_MAX_LENGTH, { each: true }),
    Matches(EVENT_SUBSCRIPTION_PATTERN, { each: true, message: 'each event type must be *, an event type like key.revoked, or a prefix like security.*' }),
  );
}

export class CreateWebhookDto {
  @ApiProperty(URL_DOC)
  @IsWebhookUrl()
  @MaxLength(URL_MAX_LENGTH)
  url: string;

  @ApiProperty(EVENT_TYPES_DOC)
  @IsEventTypeList()
  eventTypes: string[];

  @ApiPropertyOptional({ maxLength: DESCRIPTION_MAX_LENGTH, example: 'Revocations to the on-call channel' })
  @IsOptional()
  @IsString()
  @MaxLength(DESCRIPTION_MAX_LENGTH)
  description?: string;

  @ApiPropertyOptional({ default: true })
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;
}

export class UpdateWebhookDto {
  @ApiPropertyOptional(URL_DOC)
  @IsOptionalNotNull()
  @IsWebhookUrl()
  @MaxLength(URL_MAX_LENGTH)
  url?: string;

  @ApiPropertyOptional(EVENT_TYPES_DOC)
  @IsOptionalNotNull()
  @IsEventTypeList()
  eventTypes?: string[];

  @ApiPropertyOptional({ maxLength: DESCRIPTION_MAX_LENGTH })
  @IsOptionalNotNull()
  @IsString()
  @MaxLength(DESCRIPTION_MAX_LENGTH)
  description?: string;

  @ApiPropertyOptional({ description: 'A disabled endpoint gets no new deliveries; its pending ones fail unsent' })
  @IsOptionalNotNull()
  @IsBoolean()
  enabled?: boolean;
}

export class ListDeliveriesQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: DELIVERY_STATUSES })
  @IsOptional()
  @IsIn(DELIVERY_STATUSES)
  status?: DeliveryStatus;
}

export class WebhookResponseDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: 'https://hooks.example.com/keyward' }) url: string;
  @ApiProperty() description: string;
  @ApiProperty({ type: [String], example: [WebhookEventType.KEY_REVOKED, 'security.*'] }) eventTypes: string[];
  @ApiProperty() enabled: boolean;
  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'The user who created it (a key\'s owner when a key did)' })
  createdBy: string | null;
  @ApiProperty({ type: String, format: 'date-time' }) createdAt: Date;
  @ApiProperty({ type: String, format: 'date-time' }) updatedAt: Date;
}

export class CreatedWebhookResponseDto extends WebhookResponseDto {
  @ApiProperty({
    example: 'whsec_3q2-7wE…',
    description: 'Signing secret for X-Keyward-Signature. Shown only in this response; store it now.',
  })
  secret: string;
}

export class WebhookDeliveryResponseDto {
  @ApiProperty({ format: 'uuid', description: 'Sent as X-Keyward-Delivery' }) id: string;
  @ApiProperty({ format: 'uuid', description: 'The same for every endpoint receiving the event' }) eventId: string;
  @ApiProperty({ example: WebhookEventType.KEY_REVOKED }) eventType: string;
  @ApiProperty({ enum: DELIVERY_STATUSES }) status: DeliveryStatus;
  @ApiProperty({ description: 'Attempts made so far' }) attempts: number;
  @ApiProperty({ type: Number, nullable: true, description: 'HTTP status of the last attempt; null when no answer came' })
  lastStatusCode: number | null;
  @ApiProperty({ type: String, nullable: true, example: 'HTTP 503' }) lastError: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) lastAttemptAt: Date | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'When the next attempt is due; null unless pending' })
  nextAttemptAt: Date | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) deliveredAt: Date | null;
  @ApiProperty({ type: String, format: 'date-time' }) createdAt: Date;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'The JSON body sent',
    example: { id: '0b5c…', type: WebhookEventType.KEY_REVOKED, createdAt: '2025-12-01T10:00:00.000Z', data: { keyId: '…' } },
  })
  payload: WebhookPayload;
}
