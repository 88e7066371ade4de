import type { MigrationsOptions } from '@mikro-orm/core';
import { Migration20261123163445Foundation } from './Migration20261123163445_foundation.js';
import { Migration20261123165549Wallets } from './Migration20261123165549_wallets.js';
import { Migration20261123171118UserEmailIndex } from './Migration20261123171118_user_email_index.js';
import { Migration20261201140714UserSessions } from './Migration20261201140714_user_sessions.js';
import { Migration20261201150000KeysetIndexes } from './Migration20261201150000_keyset_indexes.js';
import { Migration20261201153135VestingPlans } from './Migration20261201153135_vesting_plans.js';
import { Migration20261201161051PaymentOrders } from './Migration20261201161051_payment_orders.js';
import { Migration20261201162141ChainCursor } from './Migration20261201162141_chain_cursor.js';
import { Migration20261201164445Allocations } from './Migration20261201164445_allocations.js';
import { Migration20261201170834Payouts } from './Migration20261201170834_payouts.js';
import { Migration20261201172503Notifications } from './Migration20261201172503_notifications.js';
import { Migration20261201185906EmailDelivery } from './Migration20261201185906_email_delivery.js';
import { Migration20261201191457CustodyAttempt } from './Migration20261201191457_custody_attempt.js';

/** Every migration, in order. Add new ones here (npm run migration:create writes the file). */
export const migrationsList: NonNullable<MigrationsOptions['migrationsList']> = [
  { name: 'Migration20261123163445_foundation', class: Migration20261123163445Foundation },
  { name: 'Migration20261123165549_wallets', class: Migration20261123165549Wallets },
  { name: 'Migration20261123171118_user_email_index', class: Migration20261123171118UserEmailIndex },
  { name: 'Migration20261201140714_user_sessions', class: Migration20261201140714UserSessions },
  { name: 'Migration20261201150000_keyset_indexes', class: Migration20261201150000KeysetIndexes },
  { name: 'Migration20261201153135_vesting_plans', class: Migration20261201153135VestingPlans },
  { name: 'Migration20261201161051_payment_orders', class: Migration20261201161051PaymentOrders },
  { name: 'Migration20261201162141_chain_cursor', class: Migration20261201162141ChainCursor },
  { name: 'Migration20261201164445_allocations', class: Migration20261201164445Allocations },
  { name: 'Migration20261201170834_payouts', class: Migration20261201170834Payouts },
  { name: 'Migration20261201172503_notifications', class: Migration20261201172503Notifications },
  { name: 'Migration20261201185906_email_delivery', class: Migration20261201185906EmailDelivery },
  { name: 'Migration20261201191457_custody_attempt', class: Migration20261201191457CustodyAttempt },
];
