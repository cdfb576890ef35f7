import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { repoRoot } from './manifests.js';

const read = (path: string) => readFileSync(join(repoRoot, path), 'utf8');
/** Terraform interpolations, spelled literally. */
const DOLLAR = '$';

interface Rule {
  alert: string;
  expr: string;
  threshold: number;
  for: string;
  severity: number;
  summary: string;
  runbook: string;
}
interface Alerts {
  namespace: string;
  prometheus_rule_groups: { name: string; interval: string; rules: Rule[] }[];
  servicebus_metric_alerts: { name: string; metric: string; threshold: number; aggregation: string }[];
}
// biome-ignore lint/suspicious/noExplicitAny: Grafana dashboard JSON, checked field by field
type Panel = Record<string, any>;

const alerts = parseYaml(read('infra/observability/alerts.yaml')) as Alerts;
const rules = alerts.prometheus_rule_groups.flatMap((g) => g.rules);
const dashboard = JSON.parse(read('infra/observability/dashboards/astria-bot.json')) as { panels: Panel[] };
const panels = dashboard.panels.filter((p) => p.type !== 'row');

/** Metric names the services register with prom-client (the files that define them). */
const METRIC_FILES = [
  'apps/message-service/src/metrics.ts',
  'apps/image-service/src/metrics.ts',
  'apps/payment-service/src/metrics.ts',
  'apps/maintenance-service/src/metrics.ts',
  'packages/events/src/metrics.ts',
  'packages/service-kit/src/plugins/metrics.ts',
];
function codeMetrics(): Set<string> {
  const out = new Set<string>();
  for (const file of METRIC_FILES) {
    for (const match of read(file).matchAll(/name:\s*'([a-z_:][a-z0-9_:]*)'/g)) out.add(match[1] as string);
  }
  return out;
}

/** Metrics that come from the cluster, not from the code: kube-state-metrics and cAdvisor (AKS managed Prometheus). */
const CLUSTER_METRICS = new Set([
  'kube_pod_container_status_restarts_total',
  'kube_pod_container_status_last_terminated_reason',
  'kube_pod_container_resource_limits',
  'kube_cronjob_status_last_successful_time',
  'kube_job_status_failed',
  'container_cpu_cfs_throttled_periods_total',
  'container_cpu_cfs_periods_total',
  'container_cpu_usage_seconds_total',
  'container_memory_working_set_bytes',
  'container_network_receive_bytes_total',
  'container_network_transmit_bytes_total',
]);

const PROMQL_WORDS = new Set([
  'sum',
  'max',
  'min',
  'avg',
  'count',
  'rate',
  'increase',
  'histogram_quantile',
  'time',
  'clamp_min',
  'and',
  'or',
  'unless',
  'by',
  'on',
  'without',
]);

/** Metric names of a PromQL expression: identifiers left once label matchers, groupings and functions are gone. */
export function metricsOf(expr: string): string[] {
  const stripped = expr
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\b(by|on|without)\s*\([^)]*\)/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/"[^"]*"/g, ' ')
    .replace(/\$\w+/g, ' ');
  const names = [...stripped.matchAll(/\b([a-zA-Z_:][a-zA-Z0-9_:]*)\b/g)].map((m) => m[1] as string);
  return [...new Set(names.filter((n) => !PROMQL_WORDS.has(n)))];
}

function baseName(metric: string): string {
  return metric.replace(/_(bucket|count|sum)$/, '');
}

function unknownMetrics(exprs: string[], known: Set<string>): string[] {
  return exprs.flatMap(metricsOf).filter((m) => !known.has(m) && !known.has(baseName(m)) && !CLUSTER_METRICS.has(m));
}

describe('alerts as code (infra/observability/alerts.yaml)', () => {
  it('covers every signal the operators asked for', () => {
    const names = rules.map((r) => r.alert);
    for (const alert of [
      'ServiceErrorRateHigh',
      'WebhookServerErrors',
      'WhatsAppDeliveryFailuresRising',
      'LatencyP99High',
      'PodRestarting',
      'ContainerOOMKilled',
      'CPUThrottlingHigh',
      'MemoryNearLimit',
      'OutboxRelayLagging',
      'OutboxPendingHigh',
      'DeadLettersGrowing',
      'PaymentWebhookFailures',
      'PaymentSuccessRatioLow',
      'PhotoFailuresHigh',
      'TrainingStuck',
      'CleanupNotSucceeding',
      'ReconcileNotSucceeding',
    ]) {
      expect(names, alert).toContain(alert);
    }
    expect(new Set(names).size).toBe(names.length);
    expect(alerts.servicebus_metric_alerts.map((a) => a.metric).sort()).toEqual([
      'ActiveMessages',
      'DeadletteredMessages',
    ]);
  });

  it('each rule is complete: $threshold in its expression, ISO durations, a runbook that exists', () => {
    for (const rule of rules) {
      expect(rule.expr, rule.alert).toContain('$threshold');
      expect(typeof rule.threshold, rule.alert).toBe('number');
      expect(rule.for, rule.alert).toMatch(/^PT\d+[MH]$/);
      expect(rule.severity).toBeGreaterThanOrEqual(0);
      expect(rule.severity).toBeLessThanOrEqual(4);
      expect(() => read(rule.runbook), rule.runbook).not.toThrow();
    }
  });

  it('the payment success ratio is a rate over a window, not the since-start gauge', () => {
    const ratio = rules.find((r) => r.alert === 'PaymentSuccessRatioLow') as Rule;
    expect(ratio.expr).toMatch(/rate\(payment_webhooks_total\{[^}]*\}\[\d+m\]\)/);
    expect(ratio.expr).not.toContain('payment_webhook_success_ratio');
  });

  it('cleanup and reconcile alerts work for CronJob pods that exit (kube-state-metrics CronJob status)', () => {
    for (const alert of ['CleanupNotSucceeding', 'ReconcileNotSucceeding']) {
      const rule = rules.find((r) => r.alert === alert) as Rule;
      expect(rule.expr).toContain('kube_cronjob_status_last_successful_time');
    }
    const cronJobs = read('infra/kubernetes/base/maintenance-cronjobs.yaml');
    for (const name of ['maintenance-cleanup', 'maintenance-reconcile']) expect(cronJobs).toContain(`name: ${name}`);
    for (const rule of rules) {
      for (const match of rule.expr.matchAll(/namespace="([^"]+)"/g)) expect(match[1]).toBe(alerts.namespace);
    }
  });

  it('Terraform reads the rules and thresholds from this file only', () => {
    const tf = read('infra/azure/alerts.tf');
    expect(tf).toContain(`yamldecode(file("${DOLLAR}{path.module}/../observability/alerts.yaml"))`);
    expect(tf).toContain('resource "azurerm_monitor_alert_prometheus_rule_group"');
    expect(tf).toContain('resource "azurerm_monitor_metric_alert" "servicebus"');
    expect(tf).toContain('replace(rule.value.expr, "$threshold", tostring(rule.value.threshold))');
    expect(tf).toContain('threshold        = each.value.threshold');
    expect(tf).toContain('azurerm_monitor_action_group.operators.id');
    // No threshold, PromQL or duration typed into the Terraform itself.
    expect(tf).not.toMatch(/rate\(|histogram_quantile|_total/);
  });

  it('Service Bus metrics split by topic: every topic has one subscription, but user_data_erased (alerted on their sum)', () => {
    const tf = read('infra/azure/servicebus/main.tf');
    const topics = [...tf.matchAll(/resource "azurerm_servicebus_topic" "(\w+)"/g)].map((m) => m[1]);
    const subscriptions = [...tf.matchAll(/resource "azurerm_servicebus_subscription" "(\w+)__\w+"/g)].map((m) => m[1]);
    expect([...new Set(subscriptions)].sort()).toEqual(topics.sort());
    const shared = topics.filter((t) => subscriptions.filter((s) => s === t).length > 1);
    expect(shared).toEqual(['user_data_erased']);
  });
});

describe('the Grafana dashboard (infra/observability/dashboards/astria-bot.json)', () => {
  it('shows what the operators asked for', () => {
    const titles = panels.map((p) => String(p.title).toLowerCase()).join(' | ');
    for (const word of [
      'requests per second',
      'latency',
      'error rate',
      'queue depth',
      'photo processing time',
      'failed images',
      'payment webhook latency',
      'success rate',
      'payments per hour',
      'restarts',
      'memory',
      'cpu',
      'network',
      'broker latency',
    ]) {
      expect(titles, word).toContain(word);
    }
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('shows the Service Bus queue depth and dead letters per subscription (Azure Monitor metrics of the alerts)', () => {
    const metrics = panels
      .flatMap((p) => p.targets as { azureMonitor?: { metricName: string; metricNamespace: string } }[])
      .flatMap((t) => (t.azureMonitor ? [t.azureMonitor] : []));
    expect(metrics.map((m) => m.metricName).sort()).toEqual(
      alerts.servicebus_metric_alerts.map((a) => a.metric).sort(),
    );
    for (const m of metrics) expect(m.metricNamespace).toBe('Microsoft.ServiceBus/namespaces');
  });

  it('draws the same thresholds as the alerts (one source of truth)', () => {
    const thresholds = new Map<string, number>([
      ...rules.map((r): [string, number] => [r.alert, r.threshold]),
      ...alerts.servicebus_metric_alerts.map((a): [string, number] => [a.name, a.threshold]),
    ]);
    let linked = 0;
    for (const panel of panels) {
      const alert = String(panel.description ?? '').match(/Alert ([\w-]+) \(infra\/observability\/alerts\.yaml\)/)?.[1];
      const steps = panel.fieldConfig.defaults.thresholds.steps as { value: number | null }[];
      if (!alert) {
        expect(steps.length, panel.title).toBe(1);
        continue;
      }
      linked++;
      expect(thresholds.has(alert), `${panel.title}: ${alert}`).toBe(true);
      expect(
        steps.map((s) => s.value),
        panel.title,
      ).toEqual([null, thresholds.get(alert)]);
    }
    expect(linked).toBeGreaterThanOrEqual(10);
  });
});

describe('every metric an alert or the dashboard names exists', () => {
  const known = codeMetrics();

  it('the metric files define the operators’ metrics', () => {
    for (const metric of [
      'http_requests_total',
      'outbox_pending_events',
      'event_deliveries_total',
      'astria_event_broker_latency_seconds',
      'payment_webhooks_total',
    ]) {
      expect(known.has(metric), metric).toBe(true);
    }
  });

  it('in the code or in the cluster (kube-state-metrics, cAdvisor)', () => {
    const alertExprs = rules.map((r) => r.expr);
    const dashboardExprs = panels.flatMap((p) =>
      (p.targets as { expr?: string }[]).flatMap((t) => (t.expr === undefined ? [] : [t.expr])),
    );
    expect(unknownMetrics(alertExprs, known)).toEqual([]);
    expect(unknownMetrics(dashboardExprs, known)).toEqual([]);
    expect(dashboardExprs.join('\n')).toContain('astria_event_broker_latency_seconds_bucket');
  });

  it('catches a misspelt metric (the check is not vacuous)', () => {
    expect(metricsOf('sum by (service) (rate(http_request_total{status=~"5.."}[5m])) > $threshold')).toEqual([
      'http_request_total',
    ]);
    expect(
      unknownMetrics(['max(outbox_pending_event) > 1', 'histogram_quantile(0.9, rate(x_seconds_bucket[5m]))'], known),
    ).toEqual(['outbox_pending_event', 'x_seconds_bucket']);
  });
});
