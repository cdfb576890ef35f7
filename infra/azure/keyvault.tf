# Key Vault (RBAC mode, purge protection). The CSI driver mounts these secrets into the pods under the
# names used by infra/kubernetes/base/02-secrets.yaml (Key Vault names use dashes; the env names are the
# upper-case equivalents).
resource "azurerm_key_vault" "main" {
  name                          = "kv-${local.compact_name}-${substr(md5(azurerm_resource_group.main.id), 0, 4)}"
  location                      = azurerm_resource_group.main.location
  resource_group_name           = azurerm_resource_group.main.name
  tenant_id                     = data.azurerm_client_config.current.tenant_id
  sku_name                      = "standard"
  enable_rbac_authorization     = true
  purge_protection_enabled      = true
  soft_delete_retention_days    = 90
  public_network_access_enabled = true
  tags                          = local.tags
}

# Whoever runs Terraform writes the secrets Terraform generates.
resource "azurerm_role_assignment" "terraform_keyvault_officer" {
  scope                = azurerm_key_vault.main.id
  role_definition_name = "Key Vault Secrets Officer"
  principal_id         = data.azurerm_client_config.current.object_id
}

resource "random_password" "callback_signing_secret" {
  length  = 64
  special = false
}

resource "random_password" "update_images_token" {
  length  = 48
  special = false
}

locals {
  # Secrets whose values Terraform creates or knows (kept in the protected state).
  generated_secrets = {
    "database-url"                          = local.database_url
    "azure-storage-connection-string"       = azurerm_storage_account.media.primary_connection_string
    "applicationinsights-connection-string" = azurerm_application_insights.main.connection_string
    "callback-signing-secret"               = random_password.callback_signing_secret.result
    "update-images-token"                   = random_password.update_images_token.result
  }

  # Secrets that come from third parties. Their values never pass through Terraform (nor its state): an
  # operator sets them once with `az keyvault secret set` (docs/operations/deploy.md, step 4). A pod whose
  # secret is missing stays in ContainerCreating with a "secret not found" event, so nothing starts half-set.
  external_secret_names = [
    "whatsapp-api-key",      # WHATSAPP_API_KEY: Cloud API access token
    "whatsapp-app-secret",   # WHATSAPP_APP_SECRET: signs webhooks
    "whatsapp-verify-token", # WHATSAPP_VERIFY_TOKEN: verification handshake
    "astria-api-key",        # ASTRIA_API_KEY
    "sumit-webhook-token",   # SUMIT_WEBHOOK_TOKEN
    "stripe-webhook-secret", # STRIPE_WEBHOOK_SECRET (whsec_…)
  ]
}

resource "azurerm_key_vault_secret" "generated" {
  for_each     = local.generated_secrets
  name         = each.key
  value        = each.value
  key_vault_id = azurerm_key_vault.main.id
  content_type = "text/plain"

  depends_on = [azurerm_role_assignment.terraform_keyvault_officer]
}
