# The identity the GitHub deploy workflow logs in with (OIDC, no client secret): push images to ACR and
# apply manifests to AKS. Azure RBAC for Kubernetes: the manifests include the Namespace itself (cluster
# scope), which the namespaced Writer role cannot create, hence RBAC Cluster Admin on this cluster only.
resource "azurerm_user_assigned_identity" "github_deploy" {
  name                = "id-${local.name}-github-deploy"
  location            = azurerm_resource_group.main.location
  resource_group_name = azurerm_resource_group.main.name
  tags                = local.tags
}

resource "azurerm_federated_identity_credential" "github_deploy" {
  name                = "github-${var.github_environment}"
  resource_group_name = azurerm_resource_group.main.name
  parent_id           = azurerm_user_assigned_identity.github_deploy.id
  audience            = ["api://AzureADTokenExchange"]
  issuer              = "https://token.actions.githubusercontent.com"
  subject             = "repo:${var.github_repository}:environment:${var.github_environment}"
}

resource "azurerm_role_assignment" "github_acr_push" {
  scope                = azurerm_container_registry.main.id
  role_definition_name = "AcrPush"
  principal_id         = azurerm_user_assigned_identity.github_deploy.principal_id
}

resource "azurerm_role_assignment" "github_aks_user" {
  scope                = azurerm_kubernetes_cluster.main.id
  role_definition_name = "Azure Kubernetes Service Cluster User Role"
  principal_id         = azurerm_user_assigned_identity.github_deploy.principal_id
}

resource "azurerm_role_assignment" "github_aks_rbac_admin" {
  scope                = azurerm_kubernetes_cluster.main.id
  role_definition_name = "Azure Kubernetes Service RBAC Cluster Admin"
  principal_id         = azurerm_user_assigned_identity.github_deploy.principal_id
}

# Production promotes the digests staging tested (deploy.yml: az acr import from the staging registry, never
# a rebuild): its deploy identity reads the staging registry. Unset in staging.
resource "azurerm_role_assignment" "github_promotion_source_pull" {
  count                = var.promotion_source_acr_id == null ? 0 : 1
  scope                = var.promotion_source_acr_id
  role_definition_name = "AcrPull"
  principal_id         = azurerm_user_assigned_identity.github_deploy.principal_id
}
