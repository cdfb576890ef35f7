import { z } from 'zod';
import { port } from '../fields.js';
import { requireTransportSettings, sharedConfigShape } from './shared.js';

export const maintenanceServiceConfigSchema = z
  .object({
    ...sharedConfigShape,
    PORT: port(7074),
  })
  .superRefine(requireTransportSettings);

export type MaintenanceServiceConfig = z.output<typeof maintenanceServiceConfigSchema>;
