import { Migration } from '@mikro-orm/migrations';

export class Migration20261123165549Wallets extends Migration {

  override name = 'Migration20261123165549_wallets';

  override up(): void | Promise<void> {
    this.addSql(`create type "network" as enum ('ETHEREUM', 'TRON');`);
    this.addSql(`create type "asset_purpose" as enum ('PAYMENT', 'DISTRIBUTION');`);
    this.addSql(`create type "wallet_status" as enum ('AVAILABLE', 'ALLOCATED', 'COOLING_DOWN', 'DISABLED');`);
    this.addSql(`create table "asset" ("id" uuid not null, "site_id" uuid not null, "network" "network" not null, "symbol" text not null, "decimals" smallint not null, "contract_address" text not null, "purpose" "asset_purpose" not null, "custody_asset_id" text null, "confirmations_required" int not null, "active" boolean not null default true, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`alter table "asset" add constraint "asset_site_network_contract_unique" unique ("site_id", "network", "contract_address");`);

    this.addSql(`create table "wallet" ("id" uuid not null, "site_id" uuid not null, "network" "network" not null, "address" text not null, "label" text null, "status" "wallet_status" not null default 'AVAILABLE', "sealed_key" bytea not null, "key_version" int not null, "current_order_id" uuid null, "cooling_down_until" timestamptz null, "balance" numeric(78,0) null, "balance_asset_id" uuid null, "balance_synced_at" timestamptz null, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`create index "wallet_available_index" on "wallet" ("site_id", "network", "updated_at", "id") where status = 'AVAILABLE';`);
    this.addSql(`create index "wallet_pool_index" on "wallet" ("site_id", "network", "status");`);
    this.addSql(`alter table "wallet" add constraint "wallet_network_address_unique" unique ("network", "address");`);

    this.addSql(`create table "wallet_balance_snapshot" ("id" uuid not null, "site_id" uuid not null, "wallet_id" uuid not null, "asset_id" uuid not null, "balance" numeric(78,0) not null, "synced_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`create index "wallet_balance_snapshot_wallet_id_synced_at_index" on "wallet_balance_snapshot" ("wallet_id", "synced_at");`);

    this.addSql(`alter table "asset" add constraint "asset_site_id_foreign" foreign key ("site_id") references "site" ("id") on delete restrict;`);
    this.addSql(`alter table "asset" add constraint "asset_confirmations_range" check (confirmations_required >= 0 and confirmations_required <= 10000);`);
    this.addSql(`alter table "asset" add constraint "asset_decimals_range" check (decimals >= 0 and decimals <= 36);`);

    this.addSql(`alter table "wallet" add constraint "wallet_site_id_foreign" foreign key ("site_id") references "site" ("id") on delete restrict;`);
    this.addSql(`alter table "wallet" add constraint "wallet_balance_asset_id_foreign" foreign key ("balance_asset_id") references "asset" ("id") on delete restrict;`);
    this.addSql(`alter table "wallet" add constraint "wallet_allocated_has_order" check ((status = 'ALLOCATED') = (current_order_id is not null));`);

    this.addSql(`alter table "wallet_balance_snapshot" add constraint "wallet_balance_snapshot_site_id_foreign" foreign key ("site_id") references "site" ("id") on delete restrict;`);
    this.addSql(`alter table "wallet_balance_snapshot" add constraint "wallet_balance_snapshot_wallet_id_foreign" foreign key ("wallet_id") references "wallet" ("id") on delete cascade;`);
    this.addSql(`alter table "wallet_balance_snapshot" add constraint "wallet_balance_snapshot_asset_id_foreign" foreign key ("asset_id") references "asset" ("id") on delete restrict;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "wallet" drop constraint "wallet_balance_asset_id_foreign";`);
    this.addSql(`alter table "wallet_balance_snapshot" drop constraint "wallet_balance_snapshot_asset_id_foreign";`);
    this.addSql(`alter table "wallet_balance_snapshot" drop constraint "wallet_balance_snapshot_wallet_id_foreign";`);

    this.addSql(`drop table if exists "asset" cascade;`);
    this.addSql(`drop table if exists "wallet" cascade;`);
    this.addSql(`drop table if exists "wallet_balance_snapshot" cascade;`);

    this.addSql(`drop type "network";`);
    this.addSql(`drop type "asset_purpose";`);
    this.addSql(`drop type "wallet_status";`);
  }

}
