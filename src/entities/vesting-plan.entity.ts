import { randomUUID } from 'node:crypto';
import { Check, Entity, ManyToOne, PrimaryKey, Property, Trigger, Unique } from '@mikro-orm/decorators/legacy';
import { TimestampProperty } from './columns.js';
import { Site } from './site.entity.js';
import { SiteScoped } from './site-scope.js';

/**
 * A site's vesting schedule template: TGE share, cliff, then `periods` equal unlocks of `periodDays`.
 * Orders name a plan and allocations copy it, so a plan never changes once created (a change is a new
 * plan): the database refuses any UPDATE of a row.
 */
@Entity({ tableName: 'vesting_plan' })
@SiteScoped()
@Unique({ name: 'vesting_plan_site_name_unique', properties: ['site', 'name'] })
@Check({ name: 'vesting_plan_tge_bps_range', expression: 'tge_bps >= 0 and tge_bps <= 10000' })
@Check({ name: 'vesting_plan_cliff_days_range', expression: 'cliff_days >= 0' })
@Check({ name: 'vesting_plan_periods_range', expression: 'periods >= 1 and periods <= 600' })
@Check({ name: 'vesting_plan_period_days_range', expression: 'period_days >= 1 and period_days <= 3660' })
@Trigger({ name: 'vesting_plan_immutable', timing: 'before', events: ['update'], forEach: 'row', body: "raise exception 'vesting_plan rows are immutable: create a new plan'" })
export class VestingPlan {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => Site, { deleteRule: 'restrict' })
  site!: Site;

  @Property({ type: 'text' })
  name!: string;

  @Property({ type: 'integer' })
  tgeBps!: number;

  @Property({ type: 'integer' })
  cliffDays!: number;

  @Property({ type: 'integer' })
  periods!: number;

  @Property({ type: 'integer' })
  periodDays!: number;

  @TimestampProperty()
  createdAt: Date = new Date();
}
