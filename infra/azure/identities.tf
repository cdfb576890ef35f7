# One user-assigned managed identity per workload, federated with the Kubernetes ServiceAccount of the
# same name (subject system:serviceaccount:<namespace>:<name>) through the cluster's OIDC issuer.
resource "azurerm_user_assigned_identity" "workload" {
  for_each            = local.workloads
  name                = "id-${local.name}-${each.key}"
  location            = azurerm_resource_group.main.location
  resource_group_name = azurerm_resource_group.main.name
  tags                = local.tags
}

resource "azurerm_federated_identity_credential" "workload" {
  for_each            = local.workloads
  name                = "k8s-${var.kubernetes_namespace}-${each.key}"
  resource_group_name = azurerm_resource_group.main.name
  parent_id           = azurerm_user_assigned_identity.workload[each.key].id
  audience            = ["api://AzureADTokenExchange"]
  issuer              = azurerm_kubernetes_cluster.main.oidc_issuer_url
  subject             = "system:serviceaccount:${var.kubernetes_namespace}:${each.key}"
}

# Every workload reads its secrets through the CSI driver with its own identity.
resource "azurerm_role_assignment" "workload_keyvault_secrets_user" {
  for_each             = local.workloads
  scope                = azurerm_key_vault.main.id
  role_definition_name = "Key Vault Secrets User"
  principal_id         = azurerm_user_assigned_identity.workload[each.key].principal_id
}

# Services publish (relay) and consume events. Namespace scope: the topology module owns the entities, and
# each service both sends to its own topics and receives on its own subscriptions.
resource "azurerm_role_assignment" "workload_servicebus_sender" {
  for_each             = { for k, v in local.workloads : k => v if v.servicebus }
  scope                = azurerm_servicebus_namespace.main.id
  role_definition_name = "Azure Service Bus Data Sender"
  principal_id         = azurerm_user_assigned_identity.workload[each.key].principal_id
}

resource "azurerm_role_assignment" "workload_servicebus_receiver" {
  for_each             = { for k, v in local.workloads : k => v if v.servicebus }
  scope                = azurerm_servicebus_namespace.main.id
  role_definition_name = "Azure Service Bus Data Receiver"
  principal_id         = azurerm_user_assigned_identity.workload[each.key].principal_id
}

resource "azurerm_role_assignment" "workload_storage_blob" {
  for_each             = { for k, v in local.workloads : k => v if v.storage }
  scope                = azurerm_storage_account.media.id
  role_definition_name = "Storage Blob Data Contributor"
  principal_id         = azurerm_user_assigned_identity.workload[each.key].principal_id
}
