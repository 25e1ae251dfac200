import { CreateUsers1763884800000 } from './1763884800000-CreateUsers';

/** Every migration, in order. Listed explicitly so the app, the CLI and tests load the same set. */
export const MIGRATIONS = [CreateUsers1763884800000];
