import { Field, Float, ID, Int, ObjectType } from '@nestjs/graphql';

@ObjectType({
  description:
    'The proof that an event is in the log under a signed checkpoint (RFC 9162 audit path): check it offline with ' +
    'libs/audit-verifier (verifyInclusionUnder) and the public key.',
})
export class InclusionProof {
  @Field(() => ID) eventId!: string;
  @Field() topic!: string;
  @Field(() => Int) partition!: number;
  @Field(() => Float) offset!: number;
  @Field(() => Float, { description: "The event's leaf in the partition's tree (0 for its first event)." })
  leafIndex!: number;
  @Field(() => Float) treeSize!: number;
  @Field({ description: "The event's own hash: the leaf is sha256(0x00 ‖ its 32 bytes)." })
  eventHash!: string;
  @Field(() => [String], { description: 'Sibling subtree roots, leaf first (hex).' }) path!: string[];
  @Field({ description: 'The signed checkpoint (JSON text) whose tree the path leads to.' })
  checkpoint!: string;
}

@ObjectType({
  description: "The proof that a partition's tree of fromSize leaves is a prefix of its tree of toSize.",
})
export class ConsistencyProof {
  @Field() topic!: string;
  @Field(() => Int) partition!: number;
  @Field(() => Float) fromSize!: number;
  @Field(() => Float) toSize!: number;
  @Field(() => [String], { description: 'Subtree roots (hex), as RFC 9162 §2.1.4.1 orders them.' })
  path!: string[];
}
