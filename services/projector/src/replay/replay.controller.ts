import {
  BadRequestException,
  Body,
  ConflictException,
  Controller,
  Get,
  HttpCode,
  Post,
} from '@nestjs/common';
import { ReplayBusyError, ReplayService, type ReplayStatus } from './replay.service';

const OPTIONS = new Set(['swap', 'force']);

function replayOptions(body: unknown): { swap: boolean; force: boolean } {
  const given = body ?? {};
  if (typeof given !== 'object' || Array.isArray(given)) {
    throw new BadRequestException({
      error: 'validation_failed',
      message: 'the body must be a JSON object',
      field: 'body',
    });
  }
  for (const [field, value] of Object.entries(given)) {
    if (!OPTIONS.has(field) || typeof value !== 'boolean') {
      throw new BadRequestException({
        error: 'validation_failed',
        message: OPTIONS.has(field) ? `"${field}" must be a boolean` : `unknown field "${field}"`,
        field,
      });
    }
  }
  const options = given as { swap?: boolean; force?: boolean };
  return { swap: options.swap !== false, force: options.force === true };
}

/**
 * The replay of the whole log into fresh tables (ReplayService), served by the process that runs the projector:
 * chDB is single-process, so on the embedded stack only it can write the store. `runlog replay` drives it; like
 * every body-taking route the start needs `Content-Type: application/json`, so no web page can trigger it.
 */
@Controller('admin/replay')
export class ReplayController {
  constructor(private readonly replay: ReplayService) {}

  /** `{ swap?: true, force?: false }`: `swap: false` only compares; `force` swaps a rebuild that differs. */
  @Post()
  @HttpCode(202)
  start(@Body() body: unknown): ReplayStatus {
    const options = replayOptions(body);
    try {
      return this.replay.start(options);
    } catch (error) {
      if (error instanceof ReplayBusyError) {
        throw new ConflictException({ error: error.code, message: error.message });
      }
      throw error;
    }
  }

  @Get()
  status(): ReplayStatus {
    return this.replay.status();
  }
}
