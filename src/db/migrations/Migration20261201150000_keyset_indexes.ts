import { Migration } from '@mikro-orm/migrations';

/**
 * Lists page newest first by (time, id) inside one site: these indexes make every page an index range
 * read, so its cost does not grow with the site's rows (a million wallets sorted per page took ~250 ms).
 */
export class Migration20261201150000KeysetIndexes extends Migration {

  override name = 'Migration20261201150000_keyset_indexes';

  override up(): void | Promise<void> {
    this.addSql(`create index "wallet_site_created_index" on "wallet" ("site_id", "created_at", "id");`);
    this.addSql(`drop index "audit_entry_site_id_at_index";`);
    this.addSql(`create index "audit_entry_site_at_index" on "audit_entry" ("site_id", "at", "id");`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index "audit_entry_site_at_index";`);
    this.addSql(`create index "audit_entry_site_id_at_index" on "audit_entry" ("site_id", "at");`);
    this.addSql(`drop index "wallet_site_created_index";`);
  }

}
