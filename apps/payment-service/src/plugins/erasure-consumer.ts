import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { handleUserDataErased } from '../erasure.js';

/** The one event payment-service consumes: `user_data_erased` ("Delete my data", confirmed in WhatsApp). */
export const erasureConsumerPlugin = fp(
  async (app: FastifyInstance) => {
    app.events.consume({
      user_data_erased: async (event, tx) => {
        const counts = await handleUserDataErased(event, tx);
        app.log.info({ userHash: event.data.userHash.slice(0, 12), counts }, 'user data erased');
      },
    });
  },
  { name: 'payment-erasure-consumer' },
);
