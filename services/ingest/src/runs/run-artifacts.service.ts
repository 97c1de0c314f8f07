import { Injectable } from '@nestjs/common';
import { newEventId, TOPICS } from '../../../../libs/events/src/envelope';
import { streams } from '../../../../libs/events/src/run.events';
import { NotFoundError } from '../../../../libs/domain/src/errors';
import { decideRun, type ArtifactRef, type RunState } from '../../../../libs/domain/src/run/run.decider';
import { foldRun } from '../../../../libs/domain/src/folds';
import { CommandHandler, type Caller } from '../commands/command-handler';
import type { LogMediaBody } from '../ingest.schemas';

/** A run's artifacts as its stream records them: the upload check, the record of stored content, and the reads. */
@Injectable()
export class RunArtifactsService {
  constructor(private readonly commands: CommandHandler) {}

  /**
   * Refuses an upload to a run that does not accept artifacts (404 unknown, 409 ended) before a byte is stored,
   * by the same rule the append applies afterwards.
   */
  async precheckArtifact(caller: Caller, runId: string, path: string): Promise<void> {
    const run = await this.runState(caller, runId);
    const probe = { size: 0, digest: '', contentType: '' };
    decideRun({ type: 'LogArtifact', data: { runId, path, ...probe }, metadata: { now: 0 } }, run);
  }

  /** Records content already in the artifact store under a path of the run. */
  logArtifact(caller: Caller, runId: string, path: string, ref: ArtifactRef) {
    const target = { stream: streams.run(runId), topic: TOPICS.lifecycle, eventId: newEventId(), caller };
    return this.commands.handle(target, (events, now) =>
      decideRun({ type: 'LogArtifact', data: { runId, path, ...ref }, metadata: { now } }, foldRun(events)),
    );
  }

  /** Names an artifact of the run as its media item of `key` at `step` (`run.media_logged`). */
  logMedia(caller: Caller, runId: string, media: LogMediaBody) {
    const { key, step, kind, path } = media;
    const target = {
      stream: streams.run(runId),
      topic: TOPICS.lifecycle,
      eventId: media.eventId ?? newEventId(),
      caller,
    };
    return this.commands.handle(target, (events, now) =>
      decideRun(
        { type: 'LogMedia', data: { runId, key, step, kind, path }, metadata: { now } },
        foldRun(events),
      ),
    );
  }

  /** The run's artifacts (latest upload per path), sorted by path, optionally under a folder prefix. */
  async listArtifacts(
    caller: Caller,
    runId: string,
    prefix = '',
  ): Promise<({ path: string } & ArtifactRef)[]> {
    const run = await this.existingRun(caller, runId);
    return Object.entries(run.artifacts)
      .filter(([path]) => path.startsWith(prefix))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([path, ref]) => ({ path, ...ref }));
  }

  async findArtifact(caller: Caller, runId: string, path: string): Promise<ArtifactRef> {
    const run = await this.existingRun(caller, runId);
    if (!Object.hasOwn(run.artifacts, path)) {
      throw new NotFoundError(`run ${runId} has no artifact at ${JSON.stringify(path)}`, 'path');
    }
    return run.artifacts[path];
  }

  /** A run in a workspace the caller may not read is answered as one that does not exist. */
  private async runState(caller: Caller, runId: string): Promise<RunState> {
    return foldRun((await this.commands.readAs(streams.run(runId), caller)).events);
  }

  private async existingRun(caller: Caller, runId: string) {
    const run = await this.runState(caller, runId);
    if (run.status === 'absent') throw new NotFoundError(`run ${runId} does not exist`, 'runId');
    return run;
  }
}
