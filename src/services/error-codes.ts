// Type-only imports: the union needs no module at run time, so no import cycle with errors.ts.
import type { AssetErrorCode } from './assets/errors.js';
import type { AuthErrorCode } from './auth/errors.js';
import type { CommonErrorCode } from './errors.js';
import type { OrderErrorCode } from './orders/errors.js';
import type { VestingErrorCode } from './vesting/errors.js';
import type { PayoutErrorCode } from './payouts/errors.js';
import type { NotificationErrorCode } from './notifications/errors.js';
import type { SiteErrorCode } from './sites/errors.js';
import type { UserErrorCode } from './users/errors.js';
import type { VestingPlanErrorCode } from './vesting-plans/errors.js';
import type { WalletErrorCode } from './wallets/errors.js';

/** Every reason a DomainError can carry. A new domain adds its enum here and to the table in schema/error-map.ts. */
export type ErrorCode = CommonErrorCode | AuthErrorCode | SiteErrorCode | UserErrorCode | AssetErrorCode | WalletErrorCode | VestingPlanErrorCode | OrderErrorCode | VestingErrorCode | PayoutErrorCode | NotificationErrorCode;
