import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, IsNull, Repository } from 'typeorm';
import type { CursorPosition } from '../common/pagination/cursor';
import { keysetPage } from '../common/pagination/keyset';
import { WebhookEntity } from './entities/webhook.entity';

export type NewWebhook = Pick<
  WebhookEntity,
  'id' | 'url' | 'description' | 'eventTypes' | 'enabled' | 'secretKeyId' | 'secretIv' | 'secretCiphertext' | 'secretTag' | 'createdBy'
>;
export type WebhookChanges = Partial<Pick<WebhookEntity, 'url' | 'description' | 'eventTypes' | 'enabled'>>;

/** Endpoints; deleted ones are invisible to every method here. */
@Injectable()
export class WebhooksRepository {
  constructor(@InjectRepository(WebhookEntity) private readonly webhooks: Repository<WebhookEntity>) {}

  async insert(manager: EntityManager, values: NewWebhook): Promise<WebhookEntity> {
    const repo = manager.getRepository(WebhookEntity);
    await repo.insert(values);
    return repo.findOneByOrFail({ id: values.id });
  }

  findLive(id: string, manager?: EntityManager): Promise<WebhookEntity | null> {
    return (manager?.getRepository(WebhookEntity) ?? this.webhooks).findOneBy({ id, deletedAt: IsNull() });
  }

  /** Oldest first, one page of `limit` plus one row that only tells whether another page exists. */
  list(limit: number, after?: CursorPosition): Promise<WebhookEntity[]> {
    return keysetPage(this.webhooks.createQueryBuilder('w'), 'w', limit, after).getMany();
  }

  async update(manager: EntityManager, id: string, changes: WebhookChanges): Promise<boolean> {
    const result = await manager.getRepository(WebhookEntity).update({ id, deletedAt: IsNull() }, changes);
    return (result.affected ?? 0) > 0;
  }

  async softDelete(manager: EntityManager, id: string): Promise<boolean> {
    const result = await manager.getRepository(WebhookEntity).softDelete({ id, deletedAt: IsNull() });
    return (result.affected ?? 0) > 0;
  }
}
