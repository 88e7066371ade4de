import { Migration } from '@mikro-orm/migrations';

export class Migration20261123163445Foundation extends Migration {

  override name = 'Migration20261123163445_foundation';

  override up(): void | Promise<void> {
    this.addSql(`create type "user_role" as enum ('SUPER_ADMIN', 'SITE_ADMIN', 'OPERATOR', 'CUSTOMER');`);
    this.addSql(`create table "rate_limit_bucket" ("key" text not null, "hits" int not null, "expires_at" timestamptz not null, primary key ("key"));`);
    this.addSql(`create index "rate_limit_bucket_expires_at_index" on "rate_limit_bucket" ("expires_at");`);

    this.addSql(`create table "site" ("id" uuid not null, "slug" text not null, "name" text not null, "token_price" numeric(38,18) null, "min_order_amount" numeric(38,18) null, "max_order_amount" numeric(38,18) null, "order_ttl_minutes" int not null default 30, "wallet_cooldown_minutes" int not null default 60, "tge_at" timestamptz null, "created_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`alter table "site" add constraint "site_slug_unique" unique ("slug");`);
    this.addSql(`alter table "site" add constraint "site_slug_format" check (slug ~ '^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\$');`);

    this.addSql(`create table "app_user" ("id" uuid not null, "site_id" uuid null, "email" text not null, "password_hash" text not null, "role" "user_role" not null, "created_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`create unique index "app_user_site_email_unique" on "app_user" ("site_id", "email") nulls not distinct;`);
    this.addSql(`alter table "app_user" add constraint "app_user_site_matches_role" check ((role = 'SUPER_ADMIN') = (site_id is null));`);
    this.addSql(`alter table "app_user" add constraint "app_user_email_lower" check (email = lower(email));`);

    this.addSql(`create table "audit_entry" ("id" uuid not null, "site_id" uuid null, "actor_id" uuid null, "action" text not null, "target_type" text not null, "target_id" text not null, "details" jsonb not null, "ip" text null, "at" timestamptz not null, primary key ("id"));`);
    this.addSql(`create index "audit_entry_site_id_at_index" on "audit_entry" ("site_id", "at");`);
    this.addSql(`create or replace function "audit_entry_audit_entry_append_only_fn"() returns trigger as \$\$ begin raise exception 'audit_entry is append-only'; end; \$\$ language plpgsql;`);
    this.addSql(`create trigger "audit_entry_append_only" BEFORE UPDATE OR DELETE on "audit_entry" for each ROW execute function "audit_entry_audit_entry_append_only_fn"();`);

    this.addSql(`alter table "app_user" add constraint "app_user_site_id_foreign" foreign key ("site_id") references "site" ("id") on delete restrict;`);

    this.addSql(`alter table "audit_entry" add constraint "audit_entry_site_id_foreign" foreign key ("site_id") references "site" ("id") on delete restrict;`);
    this.addSql(`alter table "audit_entry" add constraint "audit_entry_actor_id_foreign" foreign key ("actor_id") references "app_user" ("id") on delete restrict;`);
  }

}
