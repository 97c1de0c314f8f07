import { Args, Query, Resolver } from '@nestjs/graphql';
import { LIST_BOUNDS, ListSize, sizedListCost } from '../limits/list-sizes';
import { DeadLetter, DeadLetterStatusFilter } from './dead-letters.models';
import { DeadLettersService } from './dead-letters.service';

@Resolver(() => DeadLetter)
export class DeadLettersResolver {
  constructor(private readonly service: DeadLettersService) {}

  @Query(() => [DeadLetter], {
    description:
      'Records the projector dead-lettered, in log order; re-project them with `npm run deadletters:reproject`.',
    complexity: sizedListCost(LIST_BOUNDS.deadLetters),
  })
  deadLetters(
    @Args('status', { type: () => DeadLetterStatusFilter, defaultValue: DeadLetterStatusFilter.OPEN })
    status: DeadLetterStatusFilter,
    @ListSize(LIST_BOUNDS.deadLetters) limit: number,
  ) {
    return this.service.deadLetters(status, limit);
  }
}
