import { Controller, Get } from '@nestjs/common';
import { LiveFeed } from './live-feed.service';
import { LiveSocketServer } from './live-socket.server';

/** What the live subscriptions hold now: the bound of every subscriber queue, and whom it dropped. */
@Controller()
export class LiveStatsController {
  constructor(
    private readonly feed: LiveFeed,
    private readonly sockets: LiveSocketServer,
  ) {}

  @Get('healthz/subscriptions')
  stats() {
    return { ...this.sockets.stats(), ...this.feed.stats() };
  }
}
