import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { catalog, EVENT_TYPES, topicName } from '../src/catalog.js';
import { buildTopology, renderEmulatorConfig, renderTopologyFiles } from '../src/topology/servicebus.js';

const root = resolve(import.meta.dirname, '../../..');

describe('Service Bus topology generated from the catalog', () => {
  it('is up to date on disk (else run `pnpm --filter @astria/events topology`)', () => {
    for (const [path, content] of Object.entries(renderTopologyFiles())) {
      let current: string | null = null;
      try {
        current = readFileSync(resolve(root, path), 'utf8');
      } catch {
        current = null;
      }
      expect(current, `${path} is stale: run \`pnpm --filter @astria/events topology\``).toBe(content);
    }
  });

  it('has a topic per event and a subscription per subscriber, sessions where ordered', () => {
    const topics = buildTopology();
    expect(topics.map((t) => t.name)).toEqual(EVENT_TYPES.map(topicName));
    for (const topic of topics) {
      const definition = catalog[topic.eventType];
      expect(topic.subscriptions.map((s) => s.name).sort()).toEqual([...definition.subscribers].sort());
      for (const sub of topic.subscriptions) {
        expect(sub.requiresSession).toBe(definition.ordered);
        expect(sub.maxDeliveryCount).toBeGreaterThanOrEqual(10);
        expect(sub.deadLetteringOnMessageExpiration).toBe(true);
      }
    }
  });

  it('renders Terraform with duplicate detection, lock duration and dead-lettering on expiration', () => {
    const tf = renderTopologyFiles()['infra/azure/servicebus/main.tf'] as string;
    expect(tf).toContain('variable "namespace_id"');
    expect(tf.match(/resource "azurerm_servicebus_topic"/g)).toHaveLength(EVENT_TYPES.length);
    expect(tf).toContain('requires_duplicate_detection            = true');
    expect(tf).toContain('lock_duration                        = "PT1M"');
    expect(tf).toContain('dead_lettering_on_message_expiration = true');
    expect(tf).toMatch(/"pack_images_updated__message_service"[^}]*requires_session\s+= false/);
    expect(tf).toMatch(/"user_message_received__image_service"[^}]*requires_session\s+= true/);
  });

  it("renders the emulator's Config.json for its fixed namespace", () => {
    const config = JSON.parse(renderEmulatorConfig(buildTopology())) as {
      UserConfig: { Namespaces: Array<{ Name: string; Topics: Array<{ Name: string; Subscriptions: unknown[] }> }> };
    };
    const namespace = config.UserConfig.Namespaces[0];
    expect(namespace?.Name).toBe('sbemulatorns');
    expect(namespace?.Topics.find((t) => t.Name === 'events-image_processed')?.Subscriptions).toEqual([
      {
        Name: 'message-service',
        Properties: expect.objectContaining({ RequiresSession: true, MaxDeliveryCount: 12, LockDuration: 'PT1M' }),
      },
    ]);
  });
});
