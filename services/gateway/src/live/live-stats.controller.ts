import { Controller, Get } from '@nestjs/common';
import { LiveFeed, type LiveFeedStats } from './live-feed.service';
import { LiveSocketServer } from './live-socket.server';

/** The answer of GET /healthz/subscriptions. */
export type LiveStats = ReturnType<LiveSocketServer['stats']> & LiveFeedStats;

/** What the live subscriptions hold now: the bound of every subscriber queue, and whom it dropped. */
@Controller()
export class LiveStatsController {
  constructor(
    private readonly feed: LiveFeed,
    private readonly sockets: LiveSocketServer,
  ) {}

  @Get('healthz/subscriptions')
  stats(): LiveStats {
    return { ...this.sockets.stats(), ...this.feed.stats() };
  }
}
