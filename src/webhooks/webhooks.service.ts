import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { actorOf, type AuditEntry } from '../audit/audit-record';
import { AuditWriter } from '../audit/audit.writer';
import { actingUserId, type Principal } from '../common/auth/principal';
import { SecretBox } from '../common/crypto/secret-box';
import { DomainError } from '../common/errors/domain-error';
import { decodeKeysetCursor, toPage, type Page } from '../common/pagination/cursor';
import type { PageQueryDto } from '../common/pagination/page-query.dto';
import type {
  CreateWebhookDto,
  CreatedWebhookResponseDto,
  ListDeliveriesQueryDto,
  UpdateWebhookDto,
  WebhookDeliveryResponseDto,
  WebhookResponseDto,
} from './dto/webhook.dto';
import type { WebhookDeliveryEntity } from './entities/webhook-delivery.entity';
import type { WebhookEntity } from './entities/webhook.entity';
import { WebhookDeliveriesRepository } from './webhook-deliveries.repository';
import { generateWebhookSecret } from './webhook-signature';
import { WebhooksRepository, type WebhookChanges } from './webhooks.repository';

/** Webhook endpoints and their delivery log; every change is audited in its own transaction. */
@Injectable()
export class WebhooksService {
  constructor(
    private readonly webhooks: WebhooksRepository,
    private readonly deliveries: WebhookDeliveriesRepository,
    private readonly secretBox: SecretBox,
    private readonly audit: AuditWriter,
  ) {}

  /** The only response that carries the signing secret. */
  async create(actor: Principal, dto: CreateWebhookDto): Promise<CreatedWebhookResponseDto> {
    const id = randomUUID();
    const secret = generateWebhookSecret();
    const sealed = this.secretBox.seal(secret, id);
    const values = { url: dto.url, description: dto.description ?? '', eventTypes: unique(dto.eventTypes), enabled: dto.enabled ?? true };
    const webhook = await this.audit.transaction(async (manager, record) => {
      const created = await this.webhooks.insert(manager, {
        id,
        ...values,
        secretKeyId: sealed.keyId,
        secretIv: sealed.iv,
        secretCiphertext: sealed.ciphertext,
        secretTag: sealed.authTag,
        createdBy: actingUserId(actor),
      });
      record(entry(actor, 'webhook.created', id, auditable(values)));
      return created;
    });
    return { ...toResponse(webhook), secret };
  }

  async list(query: PageQueryDto): Promise<Page<WebhookResponseDto>> {
    const rows = await this.webhooks.list(query.limit, query.cursor ? decodeKeysetCursor(query.cursor) : undefined);
    return toPage(rows, query.limit, (w) => ({ sort: w.createdAt.toISOString(), id: w.id }), toResponse);
  }

  async get(id: string): Promise<WebhookResponseDto> {
    return toResponse(await this.require(id));
  }

  async update(actor: Principal, id: string, dto: UpdateWebhookDto): Promise<WebhookResponseDto> {
    const changes: WebhookChanges = {
      ...(dto.url === undefined ? {} : { url: dto.url }),
      ...(dto.eventTypes === undefined ? {} : { eventTypes: unique(dto.eventTypes) }),
      ...(dto.description === undefined ? {} : { description: dto.description }),
      ...(dto.enabled === undefined ? {} : { enabled: dto.enabled }),
    };
    if (Object.keys(changes).length === 0) return this.get(id);
    await this.audit.transaction(async (manager, record) => {
      if (!(await this.webhooks.update(manager, id, changes))) throw DomainError.notFound('Webhook');
      record(entry(actor, 'webhook.updated', id, { changes: auditable(changes) }));
    });
    return this.get(id);
  }

  /** Soft delete; its pending deliveries fail unsent. */
  async delete(actor: Principal, id: string): Promise<void> {
    await this.audit.transaction(async (manager, record) => {
      if (!(await this.webhooks.softDelete(manager, id))) throw DomainError.notFound('Webhook');
      record(entry(actor, 'webhook.deleted', id, {}));
    });
  }

  /** Newest first. */
  async listDeliveries(id: string, query: ListDeliveriesQueryDto): Promise<Page<WebhookDeliveryResponseDto>> {
    await this.require(id);
    const rows = await this.deliveries.listLog({
      webhookId: id,
      status: query.status,
      after: query.cursor ? decodeKeysetCursor(query.cursor) : undefined,
      limit: query.limit,
    });
    return toPage(rows, query.limit, (d) => ({ sort: d.createdAt.toISOString(), id: d.id }), toDeliveryResponse);
  }

  private async require(id: string): Promise<WebhookEntity> {
    const webhook = await this.webhooks.findLive(id);
    if (!webhook) throw DomainError.notFound('Webhook');
    return webhook;
  }
}

function toResponse(w: WebhookEntity): WebhookResponseDto {
  return {
    id: w.id,
    url: w.url,
    description: w.description,
    eventTypes: w.eventTypes,
    enabled: w.enabled,
    createdBy: w.createdBy,
    createdAt: w.createdAt,
    updatedAt: w.updatedAt,
  };
}

function toDeliveryResponse(d: WebhookDeliveryEntity): WebhookDeliveryResponseDto {
  return {
    id: d.id,
    eventId: d.eventId,
    eventType: d.eventType,
    status: d.status,
    attempts: d.attempts,
    lastStatusCode: d.lastStatusCode,
    lastError: d.lastError,
    lastAttemptAt: d.lastAttemptAt,
    nextAttemptAt: d.status === 'pending' ? d.nextAttemptAt : null,
    deliveredAt: d.deliveredAt,
    createdAt: d.createdAt,
    payload: d.payload,
  };
}

/** Webhook URLs often carry a token in their path or query, and auditors need not see it: only the origin is recorded. */
function auditable({ url, ...rest }: WebhookChanges): Record<string, unknown> {
  return url === undefined ? rest : { ...rest, urlOrigin: new URL(url).origin };
}

function entry(actor: Principal, action: string, id: string, details: Record<string, unknown>): AuditEntry {
  return { actor: actorOf(actor), action, target: { type: 'webhook', id }, details };
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
