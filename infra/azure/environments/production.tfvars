environment                    = "production"
location                       = "westeurope"
aks_sku_tier                   = "Standard"
aks_node_vm_size               = "Standard_D4ds_v5"
aks_node_min_count             = 3
aks_node_max_count             = 9
availability_zones             = ["1", "2", "3"]
postgres_sku_name              = "GP_Standard_D2ds_v5"
postgres_storage_mb            = 65536
postgres_high_availability     = true
postgres_backup_retention_days = 35
acr_sku                        = "Premium"
github_repository              = "astria-bot/astria-bot"
github_environment             = "production"
log_retention_days             = 90
# Entra ID group of the operators (Service Bus Data Receiver + Sender for `pnpm events dlq`):
# operators_group_object_id = "<group object id>"
# alert_email_receivers     = ["oncall@<your domain>"]
# The staging registry production imports tested digests from (deploy.yml, az acr import):
# promotion_source_acr_id = "/subscriptions/<id>/resourceGroups/rg-astria-staging/providers/Microsoft.ContainerRegistry/registries/<staging acr>"
