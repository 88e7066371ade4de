import { Migration } from '@mikro-orm/migrations';

export class Migration20261201140714UserSessions extends Migration {

  override name = 'Migration20261201140714_user_sessions';

  override up(): void | Promise<void> {
    this.addSql(`create table "user_session" ("id" uuid not null, "user_id" uuid not null, "audience" text not null, "created_at" timestamptz not null, "expires_at" timestamptz not null, "revoked_at" timestamptz null, "ip" text null, primary key ("id"));`);
    this.addSql(`create index "user_session_user_id_index" on "user_session" ("user_id");`);
    this.addSql(`create index "user_session_expires_at_index" on "user_session" ("expires_at");`);

    this.addSql(`alter table "user_session" add constraint "user_session_user_id_foreign" foreign key ("user_id") references "app_user" ("id") on delete cascade;`);
    this.addSql(`alter table "user_session" add constraint "user_session_audience_check" check (audience in ('api', 'dashboard'));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "user_session" cascade;`);
  }

}
