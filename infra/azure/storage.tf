# Blob storage for user photos and pack preview videos. Private: no anonymous access, no shared-key-free
# public URLs; previews reach users through the image service's /media route (BLOB_PUBLIC_BASE_URL).
resource "azurerm_storage_account" "media" {
  name                            = "st${local.compact_name}${substr(md5(azurerm_resource_group.main.id), 0, 8)}"
  location                        = azurerm_resource_group.main.location
  resource_group_name             = azurerm_resource_group.main.name
  account_tier                    = "Standard"
  account_kind                    = "StorageV2"
  account_replication_type        = var.environment == "production" ? "ZRS" : "LRS"
  min_tls_version                 = "TLS1_2"
  https_traffic_only_enabled      = true
  allow_nested_items_to_be_public = false
  # The image service authenticates with AZURE_STORAGE_CONNECTION_STRING (from Key Vault) today; the
  # identities also hold Storage Blob Data Contributor so shared keys can be switched off later.
  shared_access_key_enabled = true

  blob_properties {
    versioning_enabled = false
    delete_retention_policy {
      days = 7
    }
    container_delete_retention_policy {
      days = 7
    }
  }

  tags = local.tags
}

resource "azurerm_storage_container" "media" {
  name                  = "media"
  storage_account_id    = azurerm_storage_account.media.id
  container_access_type = "private"
}
