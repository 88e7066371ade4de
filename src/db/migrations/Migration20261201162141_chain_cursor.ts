import { Migration } from '@mikro-orm/migrations';

export class Migration20261201162141ChainCursor extends Migration {

  override name = 'Migration20261201162141_chain_cursor';

  override up(): void | Promise<void> {
    this.addSql(`create table "chain_cursor" ("network" "network" not null, "block" bigint not null, "updated_at" timestamptz not null, primary key ("network"));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "chain_cursor" cascade;`);
  }

}
