import { Inject } from '@nestjs/common';
import {
  Args,
  Field,
  Float,
  ObjectType,
  Parent,
  registerEnumType,
  ResolveField,
  Resolver,
} from '@nestjs/graphql';
import type { MediaKind } from '../../../../libs/events/src/run.events';
import {
  CLICKHOUSE,
  findRunMedia,
  MAX_MEDIA_ITEMS,
  MAX_MEDIA_ITEMS_PER_KEY,
  readerFor,
  type ClickHouse,
  type ClickhouseReader,
} from '../../../../libs/store/src';
import { unsizedListCost } from '../limits/list-sizes';
import { Run } from '../runs/runs.models';

export enum MediaKindValue {
  image = 'image',
  histogram = 'histogram',
  table = 'table',
}
registerEnumType(MediaKindValue, {
  name: 'MediaKind',
  description:
    'image (its bytes), histogram ({"edges": [...], "counts": [...]} JSON) or table ({"columns", "rows"} JSON).',
});

@ObjectType({
  description:
    "One media item of a run: an artifact of the run shown as a key's image, histogram or table at a step.",
})
export class MediaItem {
  @Field() key!: string;
  @Field(() => Float) step!: number;
  @Field(() => MediaKindValue) kind!: MediaKind;
  @Field({ description: 'The artifact holding it: GET /api/v1/runs/{runId}/artifacts/{path}.' })
  path!: string;
  @Field(() => Float) size!: number;
  @Field({ description: 'sha256 of the content.' }) digest!: string;
  @Field() contentType!: string;
  @Field(() => Float) loggedAt!: number;
}

/** A run's rich media (images, histograms, tables per key and step), from the run_media projection. */
@Resolver(() => Run)
export class RunMediaResolver {
  private readonly reader: ClickhouseReader;

  constructor(@Inject(CLICKHOUSE) ch: ClickHouse) {
    this.reader = readerFor(ch);
  }

  @ResolveField(() => [MediaItem], {
    description:
      `The run's media items by key, then step: the latest ${MAX_MEDIA_ITEMS_PER_KEY} steps of each key, ` +
      `${MAX_MEDIA_ITEMS} items at most; only one key or kind when given.`,
    complexity: unsizedListCost({ queryPerParent: true }),
  })
  media(
    @Parent() run: Run,
    @Args('key', { type: () => String, nullable: true }) key: string | null | undefined,
    @Args('kind', { type: () => MediaKindValue, nullable: true }) kind: MediaKind | null | undefined,
  ): Promise<MediaItem[]> {
    return findRunMedia(this.reader, { runId: run.id, key: key ?? null, kind: kind ?? null });
  }
}
