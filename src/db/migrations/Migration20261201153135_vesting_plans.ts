import { Migration } from '@mikro-orm/migrations';

export class Migration20261201153135VestingPlans extends Migration {

  override name = 'Migration20261201153135_vesting_plans';

  override up(): void | Promise<void> {
    this.addSql(`create table "vesting_plan" ("id" uuid not null, "site_id" uuid not null, "name" text not null, "tge_bps" int not null, "cliff_days" int not null, "periods" int not null, "period_days" int not null, "created_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`alter table "vesting_plan" add constraint "vesting_plan_site_name_unique" unique ("site_id", "name");`);

    this.addSql(`alter table "vesting_plan" add constraint "vesting_plan_site_id_foreign" foreign key ("site_id") references "site" ("id") on delete restrict;`);
    this.addSql(`alter table "vesting_plan" add constraint "vesting_plan_period_days_range" check (period_days >= 1 and period_days <= 3660);`);
    this.addSql(`alter table "vesting_plan" add constraint "vesting_plan_periods_range" check (periods >= 1 and periods <= 600);`);
    this.addSql(`alter table "vesting_plan" add constraint "vesting_plan_cliff_days_range" check (cliff_days >= 0);`);
    this.addSql(`alter table "vesting_plan" add constraint "vesting_plan_tge_bps_range" check (tge_bps >= 0 and tge_bps <= 10000);`);
    this.addSql(`create or replace function "vesting_plan_vesting_plan_immutable_fn"() returns trigger as \$\$ begin raise exception 'vesting_plan rows are immutable: create a new plan'; end; \$\$ language plpgsql;`);
    this.addSql(`create trigger "vesting_plan_immutable" BEFORE UPDATE on "vesting_plan" for each ROW execute function "vesting_plan_vesting_plan_immutable_fn"();`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop trigger if exists "vesting_plan_immutable" on "vesting_plan";`);
    this.addSql(`drop function if exists "vesting_plan_vesting_plan_immutable_fn"();`);
    this.addSql(`drop table if exists "vesting_plan" cascade;`);
  }

}
