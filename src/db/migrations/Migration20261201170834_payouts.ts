import { Migration } from '@mikro-orm/migrations';

export class Migration20261201170834Payouts extends Migration {

  override name = 'Migration20261201170834_payouts';

  override up(): void | Promise<void> {
    this.addSql(`create table "mock_custody_key" ("kid" text not null, "private_jwk" jsonb not null, "public_jwk" jsonb not null, "created_at" timestamptz not null, primary key ("kid"));`);

    this.addSql(`create table "mock_custody_tx" ("id" text not null, "external_tx_id" text not null, "asset_id" text not null, "amount" text not null, "destination" text not null, "fail" boolean not null default false, "tx_hash" text not null, "created_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`alter table "mock_custody_tx" add constraint "mock_custody_tx_external_unique" unique ("external_tx_id");`);

    this.addSql(`create table "custody_event" ("id" uuid not null, "provider" text not null, "event_key" text not null, "type" text not null, "site_id" uuid null, "release_id" uuid null, "custody_tx_id" text null, "external_tx_id" text null, "status" text null, "outcome" text not null, "payload" jsonb not null, "received_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`create index "custody_event_release_index" on "custody_event" ("release_id");`);
    this.addSql(`alter table "custody_event" add constraint "custody_event_provider_key_unique" unique ("provider", "event_key");`);

    this.addSql(`alter table "vesting_release" add "processing_since" timestamptz null, add "custody_status" text null;`);
    this.addSql(`create index "vesting_release_processing_index" on "vesting_release" ("processing_since") where status = 'PROCESSING';`);

    this.addSql(`alter table "custody_event" add constraint "custody_event_site_id_foreign" foreign key ("site_id") references "site" ("id") on delete restrict;`);
    this.addSql(`alter table "custody_event" add constraint "custody_event_release_id_foreign" foreign key ("release_id") references "vesting_release" ("id") on delete restrict;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "mock_custody_key" cascade;`);
    this.addSql(`drop table if exists "mock_custody_tx" cascade;`);
    this.addSql(`drop table if exists "custody_event" cascade;`);

    this.addSql(`drop index "vesting_release_processing_index";`);
    this.addSql(`alter table "vesting_release" drop column "processing_since", drop column "custody_status";`);
  }

}
