# KEDA (the AKS add-on, aks.tf) reads each consumer's Service Bus subscription length with workload
# identity: the keda-operator ServiceAccount of kube-system is federated with this identity, which the
# consumers' TriggerAuthentication names (KEDA_CLIENT_ID in the overlay's azure.env). Reading a
# subscription's runtime properties (its message counts) is a management operation on Service Bus, which
# only the Data Owner role grants; the role is scoped to this environment's namespace.
resource "azurerm_user_assigned_identity" "keda" {
  name                = "id-${local.name}-keda"
  location            = azurerm_resource_group.main.location
  resource_group_name = azurerm_resource_group.main.name
  tags                = local.tags
}

resource "azurerm_federated_identity_credential" "keda" {
  name                = "k8s-kube-system-keda-operator"
  resource_group_name = azurerm_resource_group.main.name
  parent_id           = azurerm_user_assigned_identity.keda.id
  audience            = ["api://AzureADTokenExchange"]
  issuer              = azurerm_kubernetes_cluster.main.oidc_issuer_url
  subject             = "system:serviceaccount:kube-system:keda-operator"
}

resource "azurerm_role_assignment" "keda_servicebus" {
  scope                = azurerm_servicebus_namespace.main.id
  role_definition_name = "Azure Service Bus Data Owner"
  principal_id         = azurerm_user_assigned_identity.keda.principal_id
}

# Operators run `pnpm events dlq list|replay|purge` (docs/operations/dead-letters.md) with their own Entra
# login: receive (peek and settle dead letters) and send (replay) on this environment's namespace.
resource "azurerm_role_assignment" "operators_servicebus_receiver" {
  count                = var.operators_group_object_id == null ? 0 : 1
  scope                = azurerm_servicebus_namespace.main.id
  role_definition_name = "Azure Service Bus Data Receiver"
  principal_id         = var.operators_group_object_id
}

resource "azurerm_role_assignment" "operators_servicebus_sender" {
  count                = var.operators_group_object_id == null ? 0 : 1
  scope                = azurerm_servicebus_namespace.main.id
  role_definition_name = "Azure Service Bus Data Sender"
  principal_id         = var.operators_group_object_id
}
