import { Controller, Logger, Post, Res } from '@nestjs/common';
import type { Response } from 'express';
import { ReprojectionService } from './reprojection.service';

/**
 * Served only by a process with the projector role: chDB is single-process, so on the embedded stack nothing but
 * the running projector can write the projections. Answers one JSON line per dead letter as it is handled, then a
 * summary line (`npm run deadletters:reproject` prints them). Like every body-taking route it needs
 * `Content-Type: application/json` (services/ingest/src/http-boundary.ts), so no web page can trigger it cross-site.
 */
@Controller('admin/dead-letters')
export class ReprojectionController {
  private readonly logger = new Logger('reprojection');

  constructor(private readonly reprojection: ReprojectionService) {}

  @Post('reproject')
  async reproject(@Res() response: Response): Promise<void> {
    // One at a time: each holds the projection while it runs. (Who may call it at all comes with identity, issue 13.)
    if (this.reprojection.busy) {
      response
        .status(409)
        .json({ error: 'reprojection_busy', message: 'a re-projection is already running' });
      return;
    }
    response.status(200).type('application/x-ndjson');
    try {
      const summary = await this.reprojection.reprojectOpen((result) => {
        response.write(`${JSON.stringify(result)}\n`);
      });
      response.end(`${JSON.stringify({ done: true, ...summary })}\n`);
    } catch (error) {
      // Headers are gone by now: the failure is the last line, and the CLI exits non-zero on it.
      this.logger.error(`re-projection stopped: ${String(error)}`);
      response.end(
        `${JSON.stringify({ done: false, error: error instanceof Error ? error.message : String(error) })}\n`,
      );
    }
  }
}
