import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Database, type Executor, queryRows } from '@astria/db';
import { sql } from 'drizzle-orm';
import { createOldAppTables, OLD_STATE } from '../old-app-tables.js';

export interface FakeOldAppReply {
  readonly to: string;
  /** The inbound message id it answers. */
  readonly inReplyTo: string;
}

export interface FakeOldApp {
  readonly url: string;
  /** Every reply the old app "sent" (it answers each new inbound message once). */
  readonly replies: FakeOldAppReply[];
  /** Payment ids it applied (a credit added), each once. */
  readonly payments: string[];
  /** Requests it received, including refused ones. */
  readonly received: Array<{ path: string; status: number; signature: string | undefined }>;
  /** While down, every request gets 503 (as when the Functions host is unavailable). */
  setDown(down: boolean): void;
  close(): Promise<void>;
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

interface OldMessage {
  id: string;
  from: string;
  type: string;
  image?: { id: string };
}

/**
 * A stand-in for the old app (Python, Azure Functions) in tests: its endpoints over its tables on a
 * real database. The WhatsApp webhook records each message id once (msgs), creates the user, keeps
 * photo media ids (pictures, state 1) and answers each new message once; `/payment-received` records
 * the payment once (payments) and adds a credit; `/pack-tune-received` and `/update-images` move the
 * user to tune ready. Like the old app it does not verify signatures; it records what it got.
 */
export async function startFakeOldApp(database: Database): Promise<FakeOldApp> {
  await createOldAppTables(database.db);
  const replies: FakeOldAppReply[] = [];
  const payments: string[] = [];
  const received: FakeOldApp['received'] = [];
  let down = false;

  async function handleMessage(db: Executor, message: OldMessage): Promise<void> {
    const fresh = await queryRows(
      db,
      sql`insert into msgs (id, date) values (${message.id}, current_date) on conflict do nothing returning id`,
    );
    if (fresh.length === 0) return;
    await db.execute(
      sql`insert into users (phone, state, credits, language) values (${message.from}, ${OLD_STATE.new}, '0', 0)
          on conflict (phone) do nothing`,
    );
    if (message.type === 'image' && message.image) {
      await db.execute(sql`insert into pictures (phone_number, path) values (${message.from}, ${message.image.id})`);
      await db.execute(sql`update users set state = ${OLD_STATE.picturesLoaded} where phone = ${message.from}`);
    }
    replies.push({ to: message.from, inReplyTo: message.id });
  }

  async function route(db: Executor, path: string, body: string): Promise<number> {
    if (path === '/whatsapp' || path === '/api/whatsapp') {
      const notification = JSON.parse(body) as {
        entry?: Array<{ changes?: Array<{ value?: { messages?: OldMessage[] } }> }>;
      };
      for (const entry of notification.entry ?? [])
        for (const change of entry.changes ?? [])
          for (const message of change.value?.messages ?? []) await handleMessage(db, message);
      return 200;
    }
    if (path === '/payment-received') {
      // Its own test shape ({ id, phone }) or SUMIT's (EntityID, Properties.Property_M-5[0]).
      const raw = JSON.parse(body) as {
        id?: string;
        phone?: string;
        EntityID?: string | number;
        Properties?: Record<string, unknown[]>;
      };
      const sumitPhone = raw.Properties?.['Property_M-5']?.[0];
      const payment = {
        id: raw.id ?? (raw.EntityID !== undefined ? String(raw.EntityID) : undefined),
        phone: raw.phone ?? (typeof sumitPhone === 'string' ? sumitPhone : undefined),
      };
      if (!payment.id || !payment.phone) return 400;
      const fresh = await queryRows(
        db,
        sql`insert into payments (id, date) values (${payment.id}, current_date) on conflict do nothing returning id`,
      );
      if (fresh.length > 0) {
        payments.push(payment.id);
        await db.execute(
          sql`insert into users (phone, state, credits, language) values (${payment.phone}, ${OLD_STATE.new}, '1', 0)
              on conflict (phone) do update set credits = ((coalesce(nullif(users.credits, ''), '0'))::int + 1)::text`,
        );
      }
      return 200;
    }
    if (path === '/pack-tune-received' || path === '/update-images') {
      const tune = JSON.parse(body) as { phone?: string; tuneId?: string };
      if (tune.phone) {
        await db.execute(
          sql`update users set state = ${OLD_STATE.tuneReady}, tuneid = ${tune.tuneId ?? null} where phone = ${tune.phone}`,
        );
      }
      return 200;
    }
    return 404;
  }

  const server: Server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://old-app').pathname;
    const signature = request.headers['x-hub-signature-256'];
    void readBody(request)
      .then(async (body) => {
        if (down) return 503;
        if (request.method === 'GET') return 200;
        // One transaction per request, as the old app commits once per call.
        return database.db.transaction((tx) => route(tx, path, body));
      })
      .catch(() => 500)
      .then((status) => {
        received.push({ path, status, signature: typeof signature === 'string' ? signature : undefined });
        response.writeHead(status, { 'content-type': 'text/plain' }).end(String(status));
      });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    replies,
    payments,
    received,
    setDown(value) {
      down = value;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
