# Service Bus namespace. Its topics and subscriptions are NOT written here: they are generated from the
# event catalog (packages/events/src/catalog.ts) into ./servicebus by the events package, and a test fails
# when that module is stale. This root module only passes it the namespace.
resource "azurerm_servicebus_namespace" "main" {
  name                          = "sb-${local.name}"
  location                      = azurerm_resource_group.main.location
  resource_group_name           = azurerm_resource_group.main.name
  sku                           = var.servicebus_sku
  capacity                      = var.servicebus_sku == "Premium" ? 1 : 0
  premium_messaging_partitions  = var.servicebus_sku == "Premium" ? 1 : 0
  local_auth_enabled            = false # Entra ID (workload identity) only: no SAS keys exist
  public_network_access_enabled = true
  minimum_tls_version           = "1.2"
  tags                          = local.tags
}

module "servicebus_topology" {
  source       = "./servicebus"
  namespace_id = azurerm_servicebus_namespace.main.id
}
