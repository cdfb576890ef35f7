# astria-bot on Azure: one resource group per environment holding AKS, ACR, PostgreSQL Flexible Server,
# Service Bus (topology generated from the event catalog: ./servicebus), Storage, Key Vault, monitoring,
# and one user-assigned managed identity per workload, federated with its Kubernetes ServiceAccount.

data "azurerm_client_config" "current" {}

locals {
  # e.g. astria-staging / astriastaging (for names that allow no dashes)
  name         = "${var.name_prefix}-${var.environment}"
  compact_name = "${var.name_prefix}${var.environment == "production" ? "prod" : "stg"}"
  tags = merge(var.tags, {
    application = "astria-bot"
    environment = var.environment
    managed-by  = "terraform"
  })

  # Workloads that get an identity: the Deployments, the maintenance CronJobs and the migrate Job.
  # The key is the Kubernetes ServiceAccount name (infra/kubernetes/base/03-deployments.yaml).
  workloads = {
    "message-service"     = { servicebus = true, storage = false }
    "image-service"       = { servicebus = true, storage = true }
    "payment-service"     = { servicebus = true, storage = false }
    "maintenance-service" = { servicebus = true, storage = true }
    "migrate"             = { servicebus = false, storage = false }
  }
}

resource "azurerm_resource_group" "main" {
  name     = "rg-${local.name}"
  location = var.location
  tags     = local.tags
}

# ---------------------------------------------------------------------------------------------------------
# Network: AKS nodes and the database's delegated subnet in one VNet (the database has no public endpoint).
resource "azurerm_virtual_network" "main" {
  name                = "vnet-${local.name}"
  location            = azurerm_resource_group.main.location
  resource_group_name = azurerm_resource_group.main.name
  address_space       = ["10.40.0.0/16"]
  tags                = local.tags
}

resource "azurerm_subnet" "aks" {
  name                 = "snet-aks"
  resource_group_name  = azurerm_resource_group.main.name
  virtual_network_name = azurerm_virtual_network.main.name
  address_prefixes     = ["10.40.0.0/20"]
}

resource "azurerm_subnet" "postgres" {
  name                 = "snet-postgres"
  resource_group_name  = azurerm_resource_group.main.name
  virtual_network_name = azurerm_virtual_network.main.name
  address_prefixes     = ["10.40.16.0/24"]
  service_endpoints    = ["Microsoft.Storage"]

  delegation {
    name = "postgres-flexible-server"
    service_delegation {
      name    = "Microsoft.DBforPostgreSQL/flexibleServers"
      actions = ["Microsoft.Network/virtualNetworks/subnets/join/action"]
    }
  }
}

# ---------------------------------------------------------------------------------------------------------
# Monitoring: one Log Analytics workspace (container insights, diagnostics) and workspace-based App Insights
# (the services export OpenTelemetry traces with APPLICATIONINSIGHTS_CONNECTION_STRING).
resource "azurerm_log_analytics_workspace" "main" {
  name                = "log-${local.name}"
  location            = azurerm_resource_group.main.location
  resource_group_name = azurerm_resource_group.main.name
  sku                 = "PerGB2018"
  retention_in_days   = var.log_retention_days
  tags                = local.tags
}

resource "azurerm_application_insights" "main" {
  name                = "appi-${local.name}"
  location            = azurerm_resource_group.main.location
  resource_group_name = azurerm_resource_group.main.name
  workspace_id        = azurerm_log_analytics_workspace.main.id
  application_type    = "Node.JS"
  tags                = local.tags
}
