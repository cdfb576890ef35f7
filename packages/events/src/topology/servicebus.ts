import { type Catalog, catalog as defaultCatalog, EVENT_TYPES, type EventType, topicName } from '../catalog.js';

/**
 * The Service Bus topology, generated from the event catalog: one topic per event type
 * (`events-<type>`, duplicate detection on the event id), one subscription per subscribing service
 * (sessions where the type is ordered). Rendered as the Terraform module infra/azure/servicebus and
 * as the emulator's Config.json (infra/compose/servicebus-emulator); a test fails when either is stale.
 */

export interface TopologySettings {
  /**
   * The broker's delivery limit. The transport dead-letters with its own reason at
   * EVENT_MAX_DELIVERY_COUNT (10 by default); the broker's limit sits above it as a backstop.
   */
  maxDeliveryCount: number;
  /** ISO 8601 durations, as Service Bus takes them. */
  lockDuration: string;
  duplicateDetectionWindow: string;
  defaultMessageTtl: string;
  deadLetteringOnMessageExpiration: boolean;
}

export const DEFAULT_TOPOLOGY_SETTINGS: TopologySettings = {
  maxDeliveryCount: 12,
  lockDuration: 'PT1M',
  duplicateDetectionWindow: 'PT10M',
  defaultMessageTtl: 'P14D',
  deadLetteringOnMessageExpiration: true,
};

export interface SubscriptionSpec {
  name: string;
  requiresSession: boolean;
  maxDeliveryCount: number;
  lockDuration: string;
  defaultMessageTtl: string;
  deadLetteringOnMessageExpiration: boolean;
}

export interface TopicSpec {
  name: string;
  eventType: EventType;
  description: string;
  ordered: boolean;
  duplicateDetectionWindow: string;
  defaultMessageTtl: string;
  subscriptions: SubscriptionSpec[];
}

export function buildTopology(
  settings: TopologySettings = DEFAULT_TOPOLOGY_SETTINGS,
  events: Catalog = defaultCatalog,
): TopicSpec[] {
  return EVENT_TYPES.map((type) => {
    const definition = events[type];
    return {
      name: topicName(type),
      eventType: type,
      description: definition.description,
      ordered: definition.ordered,
      duplicateDetectionWindow: settings.duplicateDetectionWindow,
      defaultMessageTtl: settings.defaultMessageTtl,
      subscriptions: [...definition.subscribers].sort().map((service) => ({
        name: service,
        requiresSession: definition.ordered,
        maxDeliveryCount: settings.maxDeliveryCount,
        lockDuration: settings.lockDuration,
        defaultMessageTtl: settings.defaultMessageTtl,
        deadLetteringOnMessageExpiration: settings.deadLetteringOnMessageExpiration,
      })),
    };
  });
}

const HEADER = [
  'GENERATED from the event catalog (packages/events/src/catalog.ts) by',
  '`pnpm --filter @astria/events topology`. Do not edit: change the catalog and regenerate.',
  'A test (packages/events/test/servicebus-topology.test.ts) fails when this file is stale.',
];

function hcl(value: string | number | boolean): string {
  if (typeof value === 'string') return JSON.stringify(value);
  return String(value);
}

/** The Terraform module (azurerm ~> 4): variable `namespace_id`, topics, subscriptions, outputs. */
export function renderTerraform(topics: readonly TopicSpec[]): string {
  const lines: string[] = HEADER.map((l) => `# ${l}`);
  lines.push(
    '',
    'variable "namespace_id" {',
    '  description = "ID of the Service Bus namespace (azurerm_servicebus_namespace) the topology lives in"',
    '  type        = string',
    '}',
    '',
  );
  for (const topic of topics) {
    const id = topic.eventType;
    lines.push(
      `# ${topic.eventType}: ${topic.description}`,
      `resource "azurerm_servicebus_topic" "${id}" {`,
      `  name                                    = ${hcl(topic.name)}`,
      '  namespace_id                            = var.namespace_id',
      '  requires_duplicate_detection            = true',
      `  duplicate_detection_history_time_window = ${hcl(topic.duplicateDetectionWindow)}`,
      `  default_message_ttl                     = ${hcl(topic.defaultMessageTtl)}`,
      `  support_ordering                        = ${hcl(topic.ordered)}`,
      '  batched_operations_enabled              = true',
      '}',
      '',
    );
    for (const sub of topic.subscriptions) {
      lines.push(
        `resource "azurerm_servicebus_subscription" "${id}__${sub.name.replace(/-/g, '_')}" {`,
        `  name                                 = ${hcl(sub.name)}`,
        `  topic_id                             = azurerm_servicebus_topic.${id}.id`,
        `  requires_session                     = ${hcl(sub.requiresSession)}`,
        `  max_delivery_count                   = ${hcl(sub.maxDeliveryCount)}`,
        `  lock_duration                        = ${hcl(sub.lockDuration)}`,
        `  default_message_ttl                  = ${hcl(sub.defaultMessageTtl)}`,
        `  dead_lettering_on_message_expiration = ${hcl(sub.deadLetteringOnMessageExpiration)}`,
        '  batched_operations_enabled           = true',
        '}',
        '',
      );
    }
  }
  // Output maps, aligned as `terraform fmt` aligns them.
  const outputMap = (name: string, description: string, entries: Array<[string, string]>) => {
    const width = Math.max(...entries.map(([key]) => hcl(key).length));
    lines.push(`output "${name}" {`, `  description = ${hcl(description)}`, '  value = {');
    for (const [key, value] of entries) lines.push(`    ${hcl(key).padEnd(width)} = ${value}`);
    lines.push('  }', '}', '');
  };
  outputMap(
    'topics',
    'Topic name → resource ID',
    topics.map((t) => [t.name, `azurerm_servicebus_topic.${t.eventType}.id`]),
  );
  outputMap(
    'subscriptions',
    'topic/subscription → resource ID',
    topics.flatMap((t) =>
      t.subscriptions.map((sub): [string, string] => [
        `${t.name}/${sub.name}`,
        `azurerm_servicebus_subscription.${t.eventType}__${sub.name.replace(/-/g, '_')}.id`,
      ]),
    ),
  );
  return lines.join('\n');
}

/** The Service Bus emulator's Config.json (its namespace is always `sbemulatorns`). */
export function renderEmulatorConfig(topics: readonly TopicSpec[]): string {
  const config = {
    UserConfig: {
      Namespaces: [
        {
          Name: 'sbemulatorns',
          Queues: [],
          Topics: topics.map((topic) => ({
            Name: topic.name,
            Properties: {
              DefaultMessageTimeToLive: topic.defaultMessageTtl,
              DuplicateDetectionHistoryTimeWindow: topic.duplicateDetectionWindow,
              RequiresDuplicateDetection: true,
            },
            Subscriptions: topic.subscriptions.map((sub) => ({
              Name: sub.name,
              Properties: {
                DeadLetteringOnMessageExpiration: sub.deadLetteringOnMessageExpiration,
                DefaultMessageTimeToLive: sub.defaultMessageTtl,
                LockDuration: sub.lockDuration,
                MaxDeliveryCount: sub.maxDeliveryCount,
                ForwardDeadLetteredMessagesTo: '',
                ForwardTo: '',
                RequiresSession: sub.requiresSession,
              },
            })),
          })),
        },
      ],
      Logging: { Type: 'File' },
    },
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}

/**
 * The topology plus one more subscription on every topic, with the settings of the topic's first
 * one (the contract suite declares `image-service-audit`; CI feeds this to the emulator).
 */
export function withExtraSubscription(topics: readonly TopicSpec[], name: string): TopicSpec[] {
  return topics.map((topic) => ({
    ...topic,
    subscriptions: [...topic.subscriptions, ...topic.subscriptions.slice(0, 1).map((first) => ({ ...first, name }))],
  }));
}

/** Files relative to the repository root → their generated content. */
export function renderTopologyFiles(topics: readonly TopicSpec[] = buildTopology()): Record<string, string> {
  return {
    'infra/azure/servicebus/main.tf': renderTerraform(topics),
    'infra/compose/servicebus-emulator/Config.json': renderEmulatorConfig(topics),
  };
}
