import { EVENT_TABLES } from '@astria/db';
import { MemoryTransport, replayDeadLetter } from '@astria/events';
import { and, eq } from 'drizzle-orm';
import { describeTransportContract } from '../src/transport-contract.js';

describeTransportContract('memory', async (database, settings) => {
  const transport = new MemoryTransport({ retry: { baseMs: settings.retryBaseMs, maxMs: 200 } });
  const deadLetters = EVENT_TABLES['image-service'].deadLetters;
  return {
    transport,
    async deadLetters(subscription) {
      const rows = await database.db.select().from(deadLetters).where(eq(deadLetters.subscription, subscription));
      return rows.filter((r) => r.replayedAt === null);
    },
    async replay(subscription, eventId) {
      const [row] = await database.db
        .select()
        .from(deadLetters)
        .where(and(eq(deadLetters.subscription, subscription), eq(deadLetters.eventId, eventId)));
      await replayDeadLetter(database, `imaging:${row?.id}`);
    },
    async close() {},
  };
});
