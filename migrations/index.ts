import { CreateUsers1763884800000 } from './1763884800000-CreateUsers';
import { CreateApiKeys1763971200000 } from './1763971200000-CreateApiKeys';
import { CreatePermissionCatalog1764057600000 } from './1764057600000-CreatePermissionCatalog';
import { CreateAuditLog1764144000000 } from './1764144000000-CreateAuditLog';
import { CreateSecurityEvents1764230400000 } from './1764230400000-CreateSecurityEvents';
import { AnalyticsIndexes1764316800000 } from './1764316800000-AnalyticsIndexes';
import { CreateWebhooks1764403200000 } from './1764403200000-CreateWebhooks';
import { AddKeyRotation1764489600000 } from './1764489600000-AddKeyRotation';
import { CreateAppliedBatches1764576000000 } from './1764576000000-CreateAppliedBatches';

/** Every migration, in order. Listed explicitly so the app, the CLI and tests load the same set. */
export const MIGRATIONS = [
  CreateUsers1763884800000,
  CreateApiKeys1763971200000,
  CreatePermissionCatalog1764057600000,
  CreateAuditLog1764144000000,
  CreateSecurityEvents1764230400000,
  AnalyticsIndexes1764316800000,
  CreateWebhooks1764403200000,
  AddKeyRotation1764489600000,
  CreateAppliedBatches1764576000000,
];
