import { Migration } from '@mikro-orm/migrations';

export class Migration20261201191457CustodyAttempt extends Migration {

  override name = 'Migration20261201191457_custody_attempt';

  override up(): void | Promise<void> {
    this.addSql(`alter table "vesting_release" add "custody_attempt" int not null default 0;`);
    this.addSql(`alter table "vesting_release" add constraint "vesting_release_custody_attempt_range" check (custody_attempt >= 0 and custody_attempt <= 999);`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "vesting_release" drop constraint "vesting_release_custody_attempt_range";`);
    this.addSql(`alter table "vesting_release" drop column "custody_attempt";`);
  }

}
