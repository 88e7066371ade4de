import { Migration } from '@mikro-orm/migrations';

export class Migration20261201185906EmailDelivery extends Migration {

  override name = 'Migration20261201185906_email_delivery';

  override up(): void | Promise<void> {
    this.addSql(`create type "email_delivery_status" as enum ('PENDING', 'SENT', 'FAILED', 'SKIPPED');`);
    this.addSql(`create table "email_delivery" ("id" uuid not null, "site_id" uuid not null, "event_id" text not null, "event_type" text not null, "recipient" text not null, "status" "email_delivery_status" not null default 'PENDING', "attempts" int not null default 0, "last_error" text null, "next_attempt_at" timestamptz null, "claimed_until" timestamptz null, "sent_at" timestamptz null, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`create index "email_delivery_due_index" on "email_delivery" ("next_attempt_at") where status = 'PENDING';`);
    this.addSql(`alter table "email_delivery" add constraint "email_delivery_event_unique" unique ("event_id");`);

    this.addSql(`alter table "email_delivery" add constraint "email_delivery_site_id_foreign" foreign key ("site_id") references "site" ("id") on delete restrict;`);
    this.addSql(`alter table "email_delivery" add constraint "email_delivery_event_id_foreign" foreign key ("event_id") references "notification_event" ("id") on delete restrict;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "email_delivery" cascade;`);

    this.addSql(`drop type "email_delivery_status";`);
  }

}
