import { Migration } from '@mikro-orm/migrations';

export class Migration20261201172503Notifications extends Migration {

  override name = 'Migration20261201172503_notifications';

  override up(): void | Promise<void> {
    this.addSql(`create type "webhook_delivery_status" as enum ('PENDING', 'DELIVERED', 'FAILED');`);
    this.addSql(`create table "notification_event" ("id" text not null, "site_id" uuid not null, "type" text not null, "data" jsonb not null, "created_at" timestamptz not null, primary key ("id"));`);

    this.addSql(`create table "webhook_endpoint" ("id" uuid not null, "site_id" uuid not null, "url" text not null, "events" text[] not null, "active" boolean not null default true, "sealed_secret" bytea not null, "key_version" int not null, "previous_sealed_secret" bytea null, "previous_key_version" int null, "previous_expires_at" timestamptz null, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`create index "webhook_endpoint_site_index" on "webhook_endpoint" ("site_id", "created_at", "id");`);

    this.addSql(`create table "webhook_delivery" ("id" uuid not null, "site_id" uuid not null, "endpoint_id" uuid not null, "event_id" text not null, "event_type" text not null, "status" "webhook_delivery_status" not null default 'PENDING', "attempts" int not null default 0, "last_status_code" int null, "last_error" text null, "next_attempt_at" timestamptz null, "claimed_until" timestamptz null, "delivered_at" timestamptz null, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`create index "webhook_delivery_site_created_index" on "webhook_delivery" ("site_id", "created_at", "id");`);
    this.addSql(`create index "webhook_delivery_due_index" on "webhook_delivery" ("next_attempt_at") where status = 'PENDING';`);
    this.addSql(`alter table "webhook_delivery" add constraint "webhook_delivery_endpoint_event_unique" unique ("endpoint_id", "event_id");`);

    this.addSql(`alter table "notification_event" add constraint "notification_event_site_id_foreign" foreign key ("site_id") references "site" ("id") on delete restrict;`);

    this.addSql(`alter table "webhook_endpoint" add constraint "webhook_endpoint_site_id_foreign" foreign key ("site_id") references "site" ("id") on delete restrict;`);

    this.addSql(`alter table "webhook_delivery" add constraint "webhook_delivery_site_id_foreign" foreign key ("site_id") references "site" ("id") on delete restrict;`);
    this.addSql(`alter table "webhook_delivery" add constraint "webhook_delivery_endpoint_id_foreign" foreign key ("endpoint_id") references "webhook_endpoint" ("id") on delete restrict;`);
    this.addSql(`alter table "webhook_delivery" add constraint "webhook_delivery_event_id_foreign" foreign key ("event_id") references "notification_event" ("id") on delete restrict;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "webhook_delivery" drop constraint "webhook_delivery_event_id_foreign";`);
    this.addSql(`alter table "webhook_delivery" drop constraint "webhook_delivery_endpoint_id_foreign";`);

    this.addSql(`drop table if exists "notification_event" cascade;`);
    this.addSql(`drop table if exists "webhook_endpoint" cascade;`);
    this.addSql(`drop table if exists "webhook_delivery" cascade;`);

    this.addSql(`drop type "webhook_delivery_status";`);
  }

}
