# terraform init -backend-config=environments/staging.backend.hcl
# The state account is created once by hand (docs/operations/deploy.md, step 1).
resource_group_name  = "rg-astria-tfstate"
storage_account_name = "stastriatfstate"
container_name       = "tfstate"
key                  = "astria-bot/staging.tfstate"
