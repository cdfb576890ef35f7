variable "environment" {
  description = "Stage name: staging or production. Used in every resource name."
  type        = string
  validation {
    condition     = contains(["staging", "production"], var.environment)
    error_message = "environment must be staging or production."
  }
}

variable "location" {
  description = "Azure region, e.g. westeurope."
  type        = string
  default     = "westeurope"
}

variable "name_prefix" {
  description = "Short lowercase prefix of resource names (letters and digits, 3-10 characters)."
  type        = string
  default     = "astria"
  validation {
    condition     = can(regex("^[a-z][a-z0-9]{2,9}$", var.name_prefix))
    error_message = "name_prefix: 3-10 lowercase letters and digits, starting with a letter."
  }
}

variable "kubernetes_namespace" {
  description = "Namespace the services run in (infra/kubernetes/base/kustomization.yaml)."
  type        = string
  default     = "astria-bot"
}

variable "aks_kubernetes_version" {
  description = "AKS version (null: the region's default)."
  type        = string
  default     = null
}

variable "aks_node_vm_size" {
  description = "VM size of the system/user node pool."
  type        = string
  default     = "Standard_D4ds_v5"
}

variable "aks_os_disk_size_gb" {
  description = "Ephemeral OS disk size: must fit the VM size's cache/temp disk (D2ds_v5: 75 GB, D4ds_v5: 150 GB)."
  type        = number
  default     = 100
}

variable "aks_node_min_count" {
  description = "Cluster autoscaler lower bound."
  type        = number
  default     = 2
}

variable "aks_node_max_count" {
  description = "Cluster autoscaler upper bound."
  type        = number
  default     = 6
}

variable "aks_sku_tier" {
  description = "Free (no uptime SLA) or Standard (SLA; use in production)."
  type        = string
  default     = "Standard"
}

variable "aks_admin_group_object_ids" {
  description = "Entra ID groups that are cluster admins (Azure RBAC for Kubernetes; local accounts are off)."
  type        = list(string)
  default     = []
}

variable "availability_zones" {
  description = "Zones for nodes and the database standby."
  type        = list(string)
  default     = ["1", "2", "3"]
}

variable "postgres_sku_name" {
  description = "PostgreSQL Flexible Server SKU, e.g. B_Standard_B1ms (staging) or GP_Standard_D2ds_v5."
  type        = string
  default     = "GP_Standard_D2ds_v5"
}

variable "postgres_storage_mb" {
  description = "Database storage in MB (auto-grow is on)."
  type        = number
  default     = 65536
}

variable "postgres_high_availability" {
  description = "Zone-redundant standby (production)."
  type        = bool
  default     = true
}

variable "postgres_backup_retention_days" {
  description = "Point-in-time restore window (7-35 days)."
  type        = number
  default     = 14
}

variable "servicebus_sku" {
  description = "Standard (topics, sessions) or Premium (isolation, private endpoints)."
  type        = string
  default     = "Standard"
}

variable "acr_sku" {
  description = "Container registry SKU."
  type        = string
  default     = "Standard"
}

variable "github_repository" {
  description = "owner/name of the GitHub repository whose deploy workflow gets an OIDC federated identity."
  type        = string
}

variable "github_environment" {
  description = "GitHub environment name the deploy job runs in (the federated credential's subject)."
  type        = string
}

variable "log_retention_days" {
  description = "Log Analytics retention."
  type        = number
  default     = 30
}

variable "tags" {
  description = "Tags on every resource."
  type        = map(string)
  default     = {}
}

variable "promotion_source_acr_id" {
  description = "Resource id of the staging container registry production imports its images from (production only; null in staging)."
  type        = string
  default     = null
}

variable "operators_group_object_id" {
  description = "Entra ID group of the operators: Service Bus Data Receiver + Sender on the namespace, for `pnpm events dlq` (list, replay, purge dead letters). null: no assignment."
  type        = string
  default     = null
}

variable "alert_email_receivers" {
  description = "E-mail addresses of the alerts action group (infra/azure/alerts.tf)."
  type        = list(string)
  default     = []
}
