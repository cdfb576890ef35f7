import type { MessageServiceConfig } from '@astria/config';
import { createStageReader, type StageReader } from '@astria/rollout';
import fp from 'fastify-plugin';

declare module 'fastify' {
  interface FastifyInstance {
    /** The move-over stage (rollout.stage), re-read every ROLLOUT_STAGE_TTL_MS; each new version is logged. */
    rolloutStage: StageReader;
  }
}

export const rolloutStagePlugin = fp<{ config: Pick<MessageServiceConfig, 'ROLLOUT_STAGE_TTL_MS'> }>(
  async (app, { config }) => {
    app.decorate(
      'rolloutStage',
      createStageReader(app.database.db, {
        ttlMs: config.ROLLOUT_STAGE_TTL_MS,
        onVersion: (settings) =>
          app.log.info(
            { rolloutStage: settings.stage, rolloutPercent: settings.percent, rolloutVersion: settings.version },
            'move-over stage read',
          ),
      }),
    );
  },
  { name: 'rollout-stage', fastify: '5.x' },
);
