import type { MessageServiceConfig } from '@astria/config';
import { createLoggedStageReader, type StageReader } from '@astria/rollout';
import fp from 'fastify-plugin';

declare module 'fastify' {
  interface FastifyInstance {
    /** The move-over stage (rollout.stage), re-read every ROLLOUT_STAGE_TTL_MS; each new version is logged. */
    rolloutStage: StageReader;
  }
}

export const rolloutStagePlugin = fp<{ config: Pick<MessageServiceConfig, 'ROLLOUT_STAGE_TTL_MS'> }>(
  async (app, { config }) => {
    app.decorate('rolloutStage', createLoggedStageReader(app.database.db, config.ROLLOUT_STAGE_TTL_MS, app.log));
  },
  { name: 'rollout-stage', fastify: '5.x' },
);
