# Alerts as code. The rules and every threshold live in ONE file, infra/observability/alerts.yaml, read
# here with yamldecode: Prometheus rule groups on the Azure Monitor workspace (managed Prometheus,
# prometheus.tf) and metric alerts on the Service Bus namespace, all notifying one action group. The
# Grafana dashboard (infra/observability/dashboards) draws the same thresholds; a test checks they agree.
locals {
  alerts = yamldecode(file("${path.module}/../observability/alerts.yaml"))
}

resource "azurerm_monitor_action_group" "operators" {
  name                = "ag-${local.name}-operators"
  resource_group_name = azurerm_resource_group.main.name
  short_name          = "astriaops"
  tags                = local.tags

  dynamic "email_receiver" {
    for_each = var.alert_email_receivers
    content {
      name                    = "operator-${email_receiver.key}"
      email_address           = email_receiver.value
      use_common_alert_schema = true
    }
  }
}

resource "azurerm_monitor_alert_prometheus_rule_group" "main" {
  for_each            = { for group in local.alerts.prometheus_rule_groups : group.name => group }
  name                = "prg-${local.name}-${each.key}"
  location            = azurerm_resource_group.main.location
  resource_group_name = azurerm_resource_group.main.name
  cluster_name        = azurerm_kubernetes_cluster.main.name
  rule_group_enabled  = true
  interval            = each.value.interval
  scopes              = [azurerm_monitor_workspace.main.id, azurerm_kubernetes_cluster.main.id]
  tags                = local.tags

  dynamic "rule" {
    for_each = each.value.rules
    content {
      alert      = rule.value.alert
      enabled    = true
      expression = replace(rule.value.expr, "$threshold", tostring(rule.value.threshold))
      for        = rule.value.for
      severity   = rule.value.severity
      labels     = { environment = var.environment }
      annotations = {
        summary = rule.value.summary
        runbook = rule.value.runbook
      }

      action {
        action_group_id = azurerm_monitor_action_group.operators.id
      }

      alert_resolution {
        auto_resolved   = true
        time_to_resolve = "PT10M"
      }
    }
  }
}

resource "azurerm_monitor_metric_alert" "servicebus" {
  for_each            = { for alert in local.alerts.servicebus_metric_alerts : alert.name => alert }
  name                = "ma-${local.name}-${each.key}"
  resource_group_name = azurerm_resource_group.main.name
  scopes              = [azurerm_servicebus_namespace.main.id]
  description         = each.value.summary
  severity            = each.value.severity
  window_size         = each.value.window
  frequency           = each.value.frequency
  tags                = local.tags

  criteria {
    metric_namespace = "Microsoft.ServiceBus/namespaces"
    metric_name      = each.value.metric
    aggregation      = each.value.aggregation
    operator         = each.value.operator
    threshold        = each.value.threshold

    # One time series per topic (= per subscription: one subscription per topic in the catalog, except
    # user_data_erased whose two subscriptions are summed).
    dimension {
      name     = "EntityName"
      operator = "Include"
      values   = ["*"]
    }
  }

  action {
    action_group_id = azurerm_monitor_action_group.operators.id
  }
}
