output "resource_group_name" {
  value = azurerm_resource_group.main.name
}

output "aks_cluster_name" {
  value = azurerm_kubernetes_cluster.main.name
}

output "acr_login_server" {
  description = "Registry the deploy workflow pushes to (GitHub variable ACR_NAME is its first label)."
  value       = azurerm_container_registry.main.login_server
}

output "github_deploy_client_id" {
  description = "AZURE_CLIENT_ID of the GitHub environment (OIDC login of deploy.yml)."
  value       = azurerm_user_assigned_identity.github_deploy.client_id
}

output "keyvault_name" {
  value = azurerm_key_vault.main.name
}

output "keyvault_secrets_to_set" {
  description = "Secrets an operator must set once with az keyvault secret set (values never pass through Terraform)."
  value       = local.external_secret_names
}

output "servicebus_namespace" {
  description = "SERVICEBUS_NAMESPACE: the fully qualified namespace the services reach with workload identity."
  value       = "${azurerm_servicebus_namespace.main.name}.servicebus.windows.net"
}

output "prometheus_query_endpoint" {
  description = "PromQL endpoint of the Azure Monitor workspace (managed Prometheus) holding the services' metrics."
  value       = azurerm_monitor_workspace.main.query_endpoint
}

output "postgres_fqdn" {
  value = azurerm_postgresql_flexible_server.main.fqdn
}

output "storage_account_name" {
  value = azurerm_storage_account.media.name
}

# Everything infra/kubernetes/overlays/<env>/azure.env needs, in its own KEY=value form:
#   terraform output -raw kubernetes_azure_env > infra/kubernetes/overlays/<env>/azure.env.generated
# (INGRESS_HOST, PUBLIC_BASE_URL, BLOB_PUBLIC_BASE_URL and TLS_CERT_KEYVAULT_URI depend on your DNS name.)
output "kubernetes_azure_env" {
  value = join("\n", concat(
    [
      "TENANT_ID=${data.azurerm_client_config.current.tenant_id}",
      "KEYVAULT_NAME=${azurerm_key_vault.main.name}",
      "SERVICEBUS_NAMESPACE=${azurerm_servicebus_namespace.main.name}.servicebus.windows.net",
    ],
    [
      for name, identity in azurerm_user_assigned_identity.workload :
      "${upper(replace(name, "-", "_"))}_CLIENT_ID=${identity.client_id}"
    ],
    ["KEDA_CLIENT_ID=${azurerm_user_assigned_identity.keda.client_id}"],
  ))
}
