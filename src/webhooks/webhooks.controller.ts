import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiCreatedResponse, ApiNoContentResponse, ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, RequirePermissions } from '../common/auth/auth.decorators';
import type { Principal } from '../common/auth/principal';
import { ErrorResponseDto } from '../common/errors/error-response.dto';
import { PageQueryDto } from '../common/pagination/page-query.dto';
import { PageDto } from '../common/pagination/page.dto';
import {
  CreateWebhookDto,
  CreatedWebhookResponseDto,
  ListDeliveriesQueryDto,
  UpdateWebhookDto,
  WebhookDeliveryResponseDto,
  WebhookResponseDto,
} from './dto/webhook.dto';
import { WebhooksService } from './webhooks.service';

const uuid = new ParseUUIDPipe();

/** Signed lifecycle webhooks: endpoints and their delivery logs. */
@ApiTags('admin: webhooks')
@ApiBadRequestResponse({ type: ErrorResponseDto, description: 'Invalid id, body or query' })
@Controller('admin/webhooks')
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  /** Registers an endpoint; the response holds its signing secret, shown only this once. */
  @Post()
  @RequirePermissions('system:manage')
  @ApiCreatedResponse({ type: CreatedWebhookResponseDto })
  create(@CurrentPrincipal() actor: Principal, @Body() dto: CreateWebhookDto) {
    return this.webhooks.create(actor, dto);
  }

  @Get()
  @RequirePermissions('system:read')
  @ApiOkResponse({ type: PageDto(WebhookResponseDto) })
  list(@Query() query: PageQueryDto) {
    return this.webhooks.list(query);
  }

  @Get(':id')
  @RequirePermissions('system:read')
  @ApiOkResponse({ type: WebhookResponseDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  get(@Param('id', uuid) id: string) {
    return this.webhooks.get(id);
  }

  @Patch(':id')
  @RequirePermissions('system:manage')
  @ApiOkResponse({ type: WebhookResponseDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  update(@CurrentPrincipal() actor: Principal, @Param('id', uuid) id: string, @Body() dto: UpdateWebhookDto) {
    return this.webhooks.update(actor, id, dto);
  }

  @Delete(':id')
  @HttpCode(204)
  @RequirePermissions('system:manage')
  @ApiNoContentResponse()
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  delete(@CurrentPrincipal() actor: Principal, @Param('id', uuid) id: string) {
    return this.webhooks.delete(actor, id);
  }

  /** What was sent to the endpoint and how it went, newest first. */
  @Get(':id/deliveries')
  @RequirePermissions('system:read')
  @ApiOkResponse({ type: PageDto(WebhookDeliveryResponseDto) })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  deliveries(@Param('id', uuid) id: string, @Query() query: ListDeliveriesQueryDto) {
    return this.webhooks.listDeliveries(id, query);
  }
}
