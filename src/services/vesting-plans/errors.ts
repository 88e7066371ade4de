import { DomainError } from '../errors.js';

export enum VestingPlanErrorCode {
  PLAN_NAME_TAKEN = 'PLAN_NAME_TAKEN',
}

export class PlanNameTakenError extends DomainError {
  readonly reason = VestingPlanErrorCode.PLAN_NAME_TAKEN;
  constructor() {
    super('This site already has a vesting plan with this name: plans never change, create one under a new name');
  }
}
