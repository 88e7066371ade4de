import { Migration } from '@mikro-orm/migrations';

export class Migration20261201161051PaymentOrders extends Migration {

  override name = 'Migration20261201161051_payment_orders';

  override up(): void | Promise<void> {
    this.addSql(`create type "order_status" as enum ('PENDING', 'CONFIRMING', 'PAID', 'UNDERPAID', 'EXPIRED', 'CANCELLED');`);
    this.addSql(`create type "transfer_status" as enum ('UNCONFIRMED', 'CONFIRMED', 'REORGED');`);
    this.addSql(`create table "payment_order" ("id" uuid not null, "site_id" uuid not null, "reference" text not null, "customer_id" uuid not null, "status" "order_status" not null default 'PENDING', "network" "network" not null, "asset_id" uuid not null, "wallet_id" uuid not null, "pay_to_address" text not null, "amount_expected" numeric(78,0) not null, "amount_received" numeric(78,0) not null default '0', "amount_confirmed" numeric(78,0) not null default '0', "confirmations" int not null default 0, "confirmations_required" int not null, "token_price" numeric(38,18) not null, "token_amount" numeric(78,0) not null, "distribution_asset_id" uuid not null, "payout_address" text not null, "plan_id" uuid not null, "expires_at" timestamptz not null, "paid_at" timestamptz null, "idempotency_key" text null, "idempotency_hash" text null, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`create index "payment_order_wallet_index" on "payment_order" ("wallet_id", "created_at");`);
    this.addSql(`create index "payment_order_site_pay_to_index" on "payment_order" ("site_id", "pay_to_address");`);
    this.addSql(`create index "payment_order_open_index" on "payment_order" ("network", "expires_at") where status in ('PENDING', 'CONFIRMING');`);
    this.addSql(`create index "payment_order_customer_created_index" on "payment_order" ("site_id", "customer_id", "created_at", "id");`);
    this.addSql(`create index "payment_order_site_created_index" on "payment_order" ("site_id", "created_at", "id");`);
    this.addSql(`alter table "payment_order" add constraint "payment_order_idempotency_unique" unique ("customer_id", "idempotency_key");`);
    this.addSql(`alter table "payment_order" add constraint "payment_order_site_reference_unique" unique ("site_id", "reference");`);

    this.addSql(`create table "chain_transfer" ("id" uuid not null, "site_id" uuid not null, "network" "network" not null, "tx_hash" text not null, "log_index" int not null, "from_address" text not null, "to_address" text not null, "wallet_id" uuid not null, "asset_id" uuid not null, "amount" numeric(78,0) not null, "block_number" bigint not null, "block_hash" text not null, "confirmations" int not null, "status" "transfer_status" not null, "order_id" uuid null, "late_for_order_id" uuid null, "seen_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`create index "chain_transfer_unconfirmed_index" on "chain_transfer" ("network", "block_number") where status = 'UNCONFIRMED';`);
    this.addSql(`create index "chain_transfer_order_index" on "chain_transfer" ("order_id");`);
    this.addSql(`alter table "chain_transfer" add constraint "chain_transfer_network_tx_log_unique" unique ("network", "tx_hash", "log_index");`);

    this.addSql(`alter table "payment_order" add constraint "payment_order_site_id_foreign" foreign key ("site_id") references "site" ("id") on delete restrict;`);
    this.addSql(`alter table "payment_order" add constraint "payment_order_customer_id_foreign" foreign key ("customer_id") references "app_user" ("id") on delete restrict;`);
    this.addSql(`alter table "payment_order" add constraint "payment_order_asset_id_foreign" foreign key ("asset_id") references "asset" ("id") on delete restrict;`);
    this.addSql(`alter table "payment_order" add constraint "payment_order_wallet_id_foreign" foreign key ("wallet_id") references "wallet" ("id") on delete restrict;`);
    this.addSql(`alter table "payment_order" add constraint "payment_order_distribution_asset_id_foreign" foreign key ("distribution_asset_id") references "asset" ("id") on delete restrict;`);
    this.addSql(`alter table "payment_order" add constraint "payment_order_plan_id_foreign" foreign key ("plan_id") references "vesting_plan" ("id") on delete restrict;`);
    this.addSql(`alter table "payment_order" add constraint "payment_order_paid_at" check ((status = 'PAID') = (paid_at is not null));`);
    this.addSql(`alter table "payment_order" add constraint "payment_order_amounts" check (amount_expected > 0 and amount_received >= 0 and amount_confirmed >= 0 and amount_confirmed <= amount_received and token_amount >= 0);`);

    this.addSql(`alter table "chain_transfer" add constraint "chain_transfer_site_id_foreign" foreign key ("site_id") references "site" ("id") on delete restrict;`);
    this.addSql(`alter table "chain_transfer" add constraint "chain_transfer_wallet_id_foreign" foreign key ("wallet_id") references "wallet" ("id") on delete restrict;`);
    this.addSql(`alter table "chain_transfer" add constraint "chain_transfer_asset_id_foreign" foreign key ("asset_id") references "asset" ("id") on delete restrict;`);
    this.addSql(`alter table "chain_transfer" add constraint "chain_transfer_order_id_foreign" foreign key ("order_id") references "payment_order" ("id") on delete restrict;`);
    this.addSql(`alter table "chain_transfer" add constraint "chain_transfer_late_for_order_id_foreign" foreign key ("late_for_order_id") references "payment_order" ("id") on delete restrict;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "chain_transfer" drop constraint "chain_transfer_order_id_foreign";`);
    this.addSql(`alter table "chain_transfer" drop constraint "chain_transfer_late_for_order_id_foreign";`);

    this.addSql(`drop table if exists "payment_order" cascade;`);
    this.addSql(`drop table if exists "chain_transfer" cascade;`);

    this.addSql(`drop type "order_status";`);
    this.addSql(`drop type "transfer_status";`);
  }

}
