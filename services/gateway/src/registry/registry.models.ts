import { Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from '@nestjs/graphql';

export enum ModelStageName {
  None = 'None',
  Staging = 'Staging',
  Production = 'Production',
  Archived = 'Archived',
}
registerEnumType(ModelStageName, {
  name: 'ModelStage',
  description: "MLflow's classic stages; Staging and Production are each held by at most one version.",
});

@ObjectType()
export class ModelTag {
  @Field() key!: string;
  @Field() value!: string;
}

@InputType()
export class ModelTagInput {
  @Field() key!: string;
  @Field() value!: string;
}

@ObjectType()
export class ModelVersion {
  @Field(() => Int) version!: number;
  @Field({ description: 'The run whose artifact this version is.' }) runId!: string;
  @Field() artifactPath!: string;
  @Field({ description: "sha256 of the artifact's bytes, as the run recorded it." }) sha256!: string;
  @Field() description!: string;
  @Field(() => ModelStageName) stage!: ModelStageName;
  @Field(() => [String], { description: 'The aliases pointing at this version.' }) aliases!: string[];
  @Field(() => Float) registeredAt!: number;
  @Field() registeredBy!: string;
  @Field(() => Float) stageChangedAt!: number;
  @Field() stageChangedBy!: string;
  @Field(() => [ModelTag], { description: "The version's own tags, by key." }) tags!: ModelTag[];
  @Field(() => Float, {
    description: 'When its description or tags last changed (its registration until then).',
  })
  updatedAt!: number;
}

@ObjectType()
export class ModelAlias {
  @Field() alias!: string;
  @Field(() => Int) version!: number;
}

@ObjectType()
export class ApprovalRequest {
  @Field(() => ID) approvalId!: string;
  @Field(() => Int) version!: number;
  @Field(() => ModelStageName, { nullable: true, description: 'The stage asked for (or null: an alias).' })
  stage!: ModelStageName | null;
  @Field(() => String, { nullable: true }) alias!: string | null;
  @Field() reason!: string;
  @Field() requestedBy!: string;
  @Field(() => Float) requestedAt!: number;
  @Field({ description: 'pending, approved, rejected, or used (by the promotion it was for).' })
  status!: string;
  @Field(() => String, { nullable: true }) decidedBy!: string | null;
  @Field(() => Float, { nullable: true }) decidedAt!: number | null;
  @Field(() => String, { nullable: true }) comment!: string | null;
}

@ObjectType()
export class ApprovalPolicyView {
  @Field(() => [ModelStageName]) stages!: ModelStageName[];
  @Field(() => [String]) aliases!: string[];
}

@ObjectType()
export class RegisteredModel {
  @Field(() => ID) modelId!: string;
  @Field() workspace!: string;
  @Field() name!: string;
  @Field() description!: string;
  @Field({ description: 'active, or deleted.' }) status!: string;
  @Field(() => [ModelTag]) tags!: ModelTag[];
  @Field(() => ApprovalPolicyView, { description: 'Promotions that need an approval by another user.' })
  approvalRequired!: ApprovalPolicyView;
  @Field(() => [ModelVersion]) versions!: ModelVersion[];
  @Field(() => [ModelAlias]) aliases!: ModelAlias[];
  @Field(() => [ApprovalRequest]) approvals!: ApprovalRequest[];
  @Field(() => Float) createdAt!: number;
  @Field() createdBy!: string;
  @Field(() => Float) updatedAt!: number;
}

@ObjectType({ description: 'An approval a promotion used, as its event recorded it.' })
export class UsedApprovalView {
  @Field(() => ID) approvalId!: string;
  @Field() requestedBy!: string;
  @Field() approvedBy!: string;
  @Field() comment!: string;
}

@ObjectType({ description: 'One change of a stage or alias, as recorded in the log.' })
export class Promotion {
  @Field(() => ID) eventId!: string;
  @Field(() => Float, { description: 'When the log recorded it (epoch ms).' }) at!: number;
  @Field({ description: 'The authenticated principal that made it.' }) actor!: string;
  @Field(() => String, { nullable: true }) onBehalfOf!: string | null;
  @Field(() => Int) version!: number;
  @Field(() => ModelStageName, { nullable: true }) stage!: ModelStageName | null;
  @Field(() => ModelStageName, { nullable: true }) previousStage!: ModelStageName | null;
  @Field(() => String, { nullable: true }) alias!: string | null;
  @Field({ description: 'stage, alias_set or alias_deleted.' }) kind!: string;
  @Field(() => Int, {
    nullable: true,
    description: 'Who held the stage or alias before: the displaced version (null: it was free).',
  })
  previousHolder!: number | null;
  @Field() reason!: string;
  @Field(() => UsedApprovalView, { nullable: true }) approval!: UsedApprovalView | null;
  @Field() hash!: string;
}

@ObjectType()
export class RegistryCommandResult {
  @Field(() => RegisteredModel, { description: 'The model as the command left it (read from the log).' })
  model!: RegisteredModel;
  @Field(() => [ID]) eventIds!: string[];
  @Field({ description: 'False for a retry of a command already in the log, or one that changed nothing.' })
  appended!: boolean;
  @Field(() => ID, { nullable: true, description: 'requestApproval: the id approve and reject take.' })
  approvalId!: string | null;
  @Field(() => String, {
    nullable: true,
    description:
      'Send as the x-runlog-consistency-token header of a later query to read what this command did.',
  })
  consistencyToken!: string | null;
}

@ObjectType()
export class ModelAsOf {
  @Field(() => Float) asOf!: number;
  @Field(() => RegisteredModel) model!: RegisteredModel;
  @Field(() => Int) eventsFolded!: number;
  @Field({ description: "Whether the events folded are an unbroken piece of the stream's hash chain." })
  chainIntact!: boolean;
}

@InputType()
export class PromotionInput {
  @Field() model!: string;
  @Field(() => Int) version!: number;
  @Field({ description: 'Why: recorded with the promotion.' }) reason!: string;
  @Field(() => Int, {
    nullable: true,
    description: 'The version expected to hold the stage or alias now; null: it must be free.',
  })
  replaces?: number | null;
  @Field(() => ID, { nullable: true, description: 'An approved request, where the policy needs one.' })
  approvalId?: string | null;
  @Field({ nullable: true, description: 'Defaults to the request’s workspace.' }) workspace?: string;
  @Field(() => ID, {
    nullable: true,
    description: 'Idempotency key: a retry with the same id is appended once.',
  })
  eventId?: string;
}
