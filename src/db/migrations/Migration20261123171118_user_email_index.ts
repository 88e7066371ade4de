import { Migration } from '@mikro-orm/migrations';

export class Migration20261123171118UserEmailIndex extends Migration {

  override name = 'Migration20261123171118_user_email_index';

  override up(): void | Promise<void> {
    this.addSql(`create index "app_user_email_index" on "app_user" ("email");`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index "app_user_email_index";`);
  }

}
