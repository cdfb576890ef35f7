# AKS with OIDC issuer + workload identity (pods get Entra tokens for their managed identity, no secrets),
# the Key Vault CSI provider (02-secrets.yaml), the application routing add-on (managed NGINX ingress,
# 06-ingress.yaml), Azure RBAC for Kubernetes with local accounts off, and Container Insights.
resource "azurerm_kubernetes_cluster" "main" {
  name                      = "aks-${local.name}"
  location                  = azurerm_resource_group.main.location
  resource_group_name       = azurerm_resource_group.main.name
  dns_prefix                = local.name
  kubernetes_version        = var.aks_kubernetes_version
  sku_tier                  = var.aks_sku_tier
  automatic_upgrade_channel = "patch"
  node_os_upgrade_channel   = "NodeImage"
  oidc_issuer_enabled       = true
  workload_identity_enabled = true
  local_account_disabled    = true
  azure_policy_enabled      = true

  default_node_pool {
    name                         = "system"
    vm_size                      = var.aks_node_vm_size
    vnet_subnet_id               = azurerm_subnet.aks.id
    zones                        = var.availability_zones
    auto_scaling_enabled         = true
    min_count                    = var.aks_node_min_count
    max_count                    = var.aks_node_max_count
    max_pods                     = 60
    os_disk_type                 = "Ephemeral"
    os_disk_size_gb              = var.aks_os_disk_size_gb
    temporary_name_for_rotation  = "systemtmp"
    only_critical_addons_enabled = false

    upgrade_settings {
      max_surge = "33%"
    }
  }

  identity {
    type = "SystemAssigned"
  }

  azure_active_directory_role_based_access_control {
    azure_rbac_enabled     = true
    tenant_id              = data.azurerm_client_config.current.tenant_id
    admin_group_object_ids = var.aks_admin_group_object_ids
  }

  network_profile {
    network_plugin      = "azure"
    network_plugin_mode = "overlay"
    network_policy      = "azure"
    load_balancer_sku   = "standard"
    pod_cidr            = "192.168.0.0/16"
    service_cidr        = "172.16.0.0/16"
    dns_service_ip      = "172.16.0.10"
  }

  key_vault_secrets_provider {
    secret_rotation_enabled  = true
    secret_rotation_interval = "2m"
  }

  web_app_routing {
    dns_zone_ids = []
  }

  # The KEDA add-on: the consumers' ScaledObjects (infra/kubernetes/components/keda-servicebus) scale on
  # Service Bus subscription length with the keda identity (keda.tf).
  workload_autoscaler_profile {
    keda_enabled = true
  }

  # Managed Prometheus metrics add-on (prometheus.tf): scrapes the services' /metrics.
  monitor_metrics {
    annotations_allowed = null
    labels_allowed      = null
  }

  oms_agent {
    log_analytics_workspace_id      = azurerm_log_analytics_workspace.main.id
    msi_auth_for_monitoring_enabled = true
  }

  maintenance_window_auto_upgrade {
    frequency   = "Weekly"
    interval    = 1
    duration    = 4
    day_of_week = "Sunday"
    start_time  = "02:00"
    utc_offset  = "+00:00"
  }

  tags = local.tags

  lifecycle {
    ignore_changes = [
      # The cluster autoscaler owns the node count.
      default_node_pool[0].node_count,
      kubernetes_version,
    ]
  }
}

# The web app routing add-on's identity reads the ingress TLS certificate from Key Vault.
resource "azurerm_role_assignment" "ingress_keyvault_certificates" {
  scope                = azurerm_key_vault.main.id
  role_definition_name = "Key Vault Certificate User"
  principal_id         = azurerm_kubernetes_cluster.main.web_app_routing[0].web_app_routing_identity[0].object_id
}

resource "azurerm_role_assignment" "ingress_keyvault_secrets" {
  scope                = azurerm_key_vault.main.id
  role_definition_name = "Key Vault Secrets User"
  principal_id         = azurerm_kubernetes_cluster.main.web_app_routing[0].web_app_routing_identity[0].object_id
}

# ---------------------------------------------------------------------------------------------------------
# Container registry: images pushed by the deploy workflow, pulled by the kubelet identity (no pull secret).
resource "azurerm_container_registry" "main" {
  name                          = "acr${local.compact_name}${substr(md5(azurerm_resource_group.main.id), 0, 6)}"
  location                      = azurerm_resource_group.main.location
  resource_group_name           = azurerm_resource_group.main.name
  sku                           = var.acr_sku
  admin_enabled                 = false
  public_network_access_enabled = true
  tags                          = local.tags
}

resource "azurerm_role_assignment" "aks_acr_pull" {
  scope                            = azurerm_container_registry.main.id
  role_definition_name             = "AcrPull"
  principal_id                     = azurerm_kubernetes_cluster.main.kubelet_identity[0].object_id
  skip_service_principal_aad_check = true
}
