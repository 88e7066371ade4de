import { Allocation } from './allocation.entity.js';
import { Asset } from './asset.entity.js';
import { AuditEntry } from './audit-entry.entity.js';
import { ChainCursor } from './chain-cursor.entity.js';
import { ChainTransfer } from './chain-transfer.entity.js';
import { CustodyEvent } from './custody-event.entity.js';
import { EmailDelivery } from './email-delivery.entity.js';
import { MockCustodyKey, MockCustodyTx } from './mock-custody.entity.js';
import { PaymentOrder } from './payment-order.entity.js';
import { RateLimitBucket } from './rate-limit-bucket.entity.js';
import { Site } from './site.entity.js';
import { UserSession } from './user-session.entity.js';
import { User } from './user.entity.js';
import { VestingPlan } from './vesting-plan.entity.js';
import { VestingRelease } from './vesting-release.entity.js';
import { WalletBalanceSnapshot } from './wallet-balance-snapshot.entity.js';
import { Wallet } from './wallet.entity.js';
import { NotificationEvent, WebhookDelivery, WebhookEndpoint } from './webhook.entity.js';

export { Allocation, Asset, AuditEntry, ChainCursor, ChainTransfer, CustodyEvent, MockCustodyKey, MockCustodyTx, PaymentOrder, RateLimitBucket, Site, User, UserSession, VestingPlan, VestingRelease, Wallet, WalletBalanceSnapshot, NotificationEvent, WebhookDelivery, WebhookEndpoint, EmailDelivery };
export { AllocationStatus, AssetPurpose, Network, OrderStatus, ReleaseStatus, TransferStatus, WalletStatus, WebhookDeliveryStatus, EmailDeliveryStatus } from './enums.js';
export { Role } from './role.js';

export const entities = [Site, User, UserSession, AuditEntry, RateLimitBucket, Asset, Wallet, WalletBalanceSnapshot, VestingPlan, PaymentOrder, ChainTransfer, ChainCursor, Allocation, VestingRelease, CustodyEvent, MockCustodyTx, MockCustodyKey, WebhookEndpoint, NotificationEvent, WebhookDelivery, EmailDelivery];
