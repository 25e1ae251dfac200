import { CreateUsers1763884800000 } from './1763884800000-CreateUsers';
import { CreateApiKeys1763971200000 } from './1763971200000-CreateApiKeys';
import { CreatePermissionCatalog1764057600000 } from './1764057600000-CreatePermissionCatalog';

/** Every migration, in order. Listed explicitly so the app, the CLI and tests load the same set. */
export const MIGRATIONS = [CreateUsers1763884800000, CreateApiKeys1763971200000, CreatePermissionCatalog1764057600000];
