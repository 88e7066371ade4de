import { Migration } from '@mikro-orm/migrations';

export class Migration20261201164445Allocations extends Migration {

  override name = 'Migration20261201164445_allocations';

  override up(): void | Promise<void> {
    this.addSql(`create type "allocation_status" as enum ('ACTIVE', 'COMPLETED', 'REVOKED');`);
    this.addSql(`create type "release_status" as enum ('LOCKED', 'UNLOCKED', 'PROCESSING', 'RELEASED', 'FAILED', 'CANCELLED');`);
    this.addSql(`create table "allocation" ("id" uuid not null, "site_id" uuid not null, "status" "allocation_status" not null default 'ACTIVE', "beneficiary_id" uuid not null, "order_id" uuid null, "payout_network" "network" not null, "payout_address" text not null, "asset_id" uuid not null, "total_amount" numeric(78,0) not null, "released_amount" numeric(78,0) not null default '0', "plan_id" uuid not null, "tge_bps" int not null, "cliff_days" int not null, "periods" int not null, "period_days" int not null, "start_at" timestamptz not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`create index "allocation_beneficiary_created_index" on "allocation" ("site_id", "beneficiary_id", "created_at", "id");`);
    this.addSql(`create index "allocation_site_created_index" on "allocation" ("site_id", "created_at", "id");`);
    this.addSql(`alter table "allocation" add constraint "allocation_order_unique" unique ("order_id");`);

    this.addSql(`create table "vesting_release" ("id" uuid not null, "site_id" uuid not null, "allocation_id" uuid not null, "index" int not null, "amount" numeric(78,0) not null, "unlock_at" timestamptz not null, "status" "release_status" not null default 'LOCKED', "external_tx_id" text not null, "custody_tx_id" text null, "tx_hash" text null, "failure_reason" text null, "released_at" timestamptz null, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`create index "vesting_release_site_unlock_index" on "vesting_release" ("site_id", "unlock_at", "id");`);
    this.addSql(`create index "vesting_release_due_index" on "vesting_release" ("unlock_at") where status = 'LOCKED';`);
    this.addSql(`alter table "vesting_release" add constraint "vesting_release_external_tx_id_unique" unique ("external_tx_id");`);
    this.addSql(`alter table "vesting_release" add constraint "vesting_release_allocation_index_unique" unique ("allocation_id", "index");`);

    this.addSql(`alter table "allocation" add constraint "allocation_site_id_foreign" foreign key ("site_id") references "site" ("id") on delete restrict;`);
    this.addSql(`alter table "allocation" add constraint "allocation_beneficiary_id_foreign" foreign key ("beneficiary_id") references "app_user" ("id") on delete restrict;`);
    this.addSql(`alter table "allocation" add constraint "allocation_order_id_foreign" foreign key ("order_id") references "payment_order" ("id") on delete restrict;`);
    this.addSql(`alter table "allocation" add constraint "allocation_asset_id_foreign" foreign key ("asset_id") references "asset" ("id") on delete restrict;`);
    this.addSql(`alter table "allocation" add constraint "allocation_plan_id_foreign" foreign key ("plan_id") references "vesting_plan" ("id") on delete restrict;`);
    this.addSql(`alter table "allocation" add constraint "allocation_amounts" check (total_amount > 0 and released_amount >= 0 and released_amount <= total_amount);`);

    this.addSql(`alter table "vesting_release" add constraint "vesting_release_site_id_foreign" foreign key ("site_id") references "site" ("id") on delete restrict;`);
    this.addSql(`alter table "vesting_release" add constraint "vesting_release_allocation_id_foreign" foreign key ("allocation_id") references "allocation" ("id") on delete restrict;`);
    this.addSql(`alter table "vesting_release" add constraint "vesting_release_external_tx_id_length" check (length(external_tx_id) <= 40);`);
    this.addSql(`alter table "vesting_release" add constraint "vesting_release_amount_positive" check (amount > 0);`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "vesting_release" drop constraint "vesting_release_allocation_id_foreign";`);

    this.addSql(`drop table if exists "allocation" cascade;`);
    this.addSql(`drop table if exists "vesting_release" cascade;`);

    this.addSql(`drop type "allocation_status";`);
    this.addSql(`drop type "release_status";`);
  }

}
