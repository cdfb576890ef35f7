# GENERATED from the event catalog (packages/events/src/catalog.ts) by
# `pnpm --filter @astria/events topology`. Do not edit: change the catalog and regenerate.
# A test (packages/events/test/servicebus-topology.test.ts) fails when this file is stale.

variable "namespace_id" {
  description = "ID of the Service Bus namespace (azurerm_servicebus_namespace) the topology lives in"
  type        = string
}

# user_message_received: an inbound WhatsApp message, normalized; photos the conversation accepted are marked trainingPhoto
resource "azurerm_servicebus_topic" "user_message_received" {
  name                                    = "events-user_message_received"
  namespace_id                            = var.namespace_id
  requires_duplicate_detection            = true
  duplicate_detection_history_time_window = "PT10M"
  default_message_ttl                     = "P14D"
  support_ordering                        = true
  batched_operations_enabled              = true
}

resource "azurerm_servicebus_subscription" "user_message_received__image_service" {
  name                                 = "image-service"
  topic_id                             = azurerm_servicebus_topic.user_message_received.id
  requires_session                     = true
  max_delivery_count                   = 12
  lock_duration                        = "PT1M"
  default_message_ttl                  = "P14D"
  dead_lettering_on_message_expiration = true
  batched_operations_enabled           = true
}

# image_processed: a submitted photo was stored and inspected: accepted, or rejected with a reason
resource "azurerm_servicebus_topic" "image_processed" {
  name                                    = "events-image_processed"
  namespace_id                            = var.namespace_id
  requires_duplicate_detection            = true
  duplicate_detection_history_time_window = "PT10M"
  default_message_ttl                     = "P14D"
  support_ordering                        = true
  batched_operations_enabled              = true
}

resource "azurerm_servicebus_subscription" "image_processed__message_service" {
  name                                 = "message-service"
  topic_id                             = azurerm_servicebus_topic.image_processed.id
  requires_session                     = true
  max_delivery_count                   = 12
  lock_duration                        = "PT1M"
  default_message_ttl                  = "P14D"
  dead_lettering_on_message_expiration = true
  batched_operations_enabled           = true
}

# payment_received: a verified, de-duplicated payment: provider, payment id, user, tier, amount, name
resource "azurerm_servicebus_topic" "payment_received" {
  name                                    = "events-payment_received"
  namespace_id                            = var.namespace_id
  requires_duplicate_detection            = true
  duplicate_detection_history_time_window = "PT10M"
  default_message_ttl                     = "P14D"
  support_ordering                        = true
  batched_operations_enabled              = true
}

resource "azurerm_servicebus_subscription" "payment_received__message_service" {
  name                                 = "message-service"
  topic_id                             = azurerm_servicebus_topic.payment_received.id
  requires_session                     = true
  max_delivery_count                   = 12
  lock_duration                        = "PT1M"
  default_message_ttl                  = "P14D"
  dead_lettering_on_message_expiration = true
  batched_operations_enabled           = true
}

# training_requested: paid + photos + pack chosen: make a tune (or prompts on an existing tune)
resource "azurerm_servicebus_topic" "training_requested" {
  name                                    = "events-training_requested"
  namespace_id                            = var.namespace_id
  requires_duplicate_detection            = true
  duplicate_detection_history_time_window = "PT10M"
  default_message_ttl                     = "P14D"
  support_ordering                        = true
  batched_operations_enabled              = true
}

resource "azurerm_servicebus_subscription" "training_requested__image_service" {
  name                                 = "image-service"
  topic_id                             = azurerm_servicebus_topic.training_requested.id
  requires_session                     = true
  max_delivery_count                   = 12
  lock_duration                        = "PT1M"
  default_message_ttl                  = "P14D"
  dead_lettering_on_message_expiration = true
  batched_operations_enabled           = true
}

# tune_created: Astria accepted the request: tune id, ETA
resource "azurerm_servicebus_topic" "tune_created" {
  name                                    = "events-tune_created"
  namespace_id                            = var.namespace_id
  requires_duplicate_detection            = true
  duplicate_detection_history_time_window = "PT10M"
  default_message_ttl                     = "P14D"
  support_ordering                        = true
  batched_operations_enabled              = true
}

resource "azurerm_servicebus_subscription" "tune_created__message_service" {
  name                                 = "message-service"
  topic_id                             = azurerm_servicebus_topic.tune_created.id
  requires_session                     = true
  max_delivery_count                   = 12
  lock_duration                        = "PT1M"
  default_message_ttl                  = "P14D"
  dead_lettering_on_message_expiration = true
  batched_operations_enabled           = true
}

# images_generated: Astria delivered the images of a tune's prompts (callback or reconciliation)
resource "azurerm_servicebus_topic" "images_generated" {
  name                                    = "events-images_generated"
  namespace_id                            = var.namespace_id
  requires_duplicate_detection            = true
  duplicate_detection_history_time_window = "PT10M"
  default_message_ttl                     = "P14D"
  support_ordering                        = true
  batched_operations_enabled              = true
}

resource "azurerm_servicebus_subscription" "images_generated__message_service" {
  name                                 = "message-service"
  topic_id                             = azurerm_servicebus_topic.images_generated.id
  requires_session                     = true
  max_delivery_count                   = 12
  lock_duration                        = "PT1M"
  default_message_ttl                  = "P14D"
  dead_lettering_on_message_expiration = true
  batched_operations_enabled           = true
}

# training_failed: Astria refused or kept failing: the user is told kindly and support is alerted
resource "azurerm_servicebus_topic" "training_failed" {
  name                                    = "events-training_failed"
  namespace_id                            = var.namespace_id
  requires_duplicate_detection            = true
  duplicate_detection_history_time_window = "PT10M"
  default_message_ttl                     = "P14D"
  support_ordering                        = true
  batched_operations_enabled              = true
}

resource "azurerm_servicebus_subscription" "training_failed__message_service" {
  name                                 = "message-service"
  topic_id                             = azurerm_servicebus_topic.training_failed.id
  requires_session                     = true
  max_delivery_count                   = 12
  lock_duration                        = "PT1M"
  default_message_ttl                  = "P14D"
  dead_lettering_on_message_expiration = true
  batched_operations_enabled           = true
}

# pack_images_updated: pack preview videos were rebuilt: pack id, subject class, URL
resource "azurerm_servicebus_topic" "pack_images_updated" {
  name                                    = "events-pack_images_updated"
  namespace_id                            = var.namespace_id
  requires_duplicate_detection            = true
  duplicate_detection_history_time_window = "PT10M"
  default_message_ttl                     = "P14D"
  support_ordering                        = false
  batched_operations_enabled              = true
}

resource "azurerm_servicebus_subscription" "pack_images_updated__message_service" {
  name                                 = "message-service"
  topic_id                             = azurerm_servicebus_topic.pack_images_updated.id
  requires_session                     = false
  max_delivery_count                   = 12
  lock_duration                        = "PT1M"
  default_message_ttl                  = "P14D"
  dead_lettering_on_message_expiration = true
  batched_operations_enabled           = true
}

# whatsapp_send_requested: one outbound WhatsApp message, ordered per recipient
resource "azurerm_servicebus_topic" "whatsapp_send_requested" {
  name                                    = "events-whatsapp_send_requested"
  namespace_id                            = var.namespace_id
  requires_duplicate_detection            = true
  duplicate_detection_history_time_window = "PT10M"
  default_message_ttl                     = "P14D"
  support_ordering                        = true
  batched_operations_enabled              = true
}

resource "azurerm_servicebus_subscription" "whatsapp_send_requested__message_service" {
  name                                 = "message-service"
  topic_id                             = azurerm_servicebus_topic.whatsapp_send_requested.id
  requires_session                     = true
  max_delivery_count                   = 12
  lock_duration                        = "PT1M"
  default_message_ttl                  = "P14D"
  dead_lettering_on_message_expiration = true
  batched_operations_enabled           = true
}

# user_data_erased: a user confirmed "Delete my data" (named by the SHA-256 of the id): image-service deletes their photos, blobs and tunes (Astria too); payment-service keeps of their payments only what prevents a double payment
resource "azurerm_servicebus_topic" "user_data_erased" {
  name                                    = "events-user_data_erased"
  namespace_id                            = var.namespace_id
  requires_duplicate_detection            = true
  duplicate_detection_history_time_window = "PT10M"
  default_message_ttl                     = "P14D"
  support_ordering                        = false
  batched_operations_enabled              = true
}

resource "azurerm_servicebus_subscription" "user_data_erased__image_service" {
  name                                 = "image-service"
  topic_id                             = azurerm_servicebus_topic.user_data_erased.id
  requires_session                     = false
  max_delivery_count                   = 12
  lock_duration                        = "PT1M"
  default_message_ttl                  = "P14D"
  dead_lettering_on_message_expiration = true
  batched_operations_enabled           = true
}

resource "azurerm_servicebus_subscription" "user_data_erased__payment_service" {
  name                                 = "payment-service"
  topic_id                             = azurerm_servicebus_topic.user_data_erased.id
  requires_session                     = false
  max_delivery_count                   = 12
  lock_duration                        = "PT1M"
  default_message_ttl                  = "P14D"
  dead_lettering_on_message_expiration = true
  batched_operations_enabled           = true
}

# whatsapp_forward_requested: move-over: the old app's part of a WhatsApp notification (its users' messages and statuses), committed with the de-dup record and posted re-signed to the old app
resource "azurerm_servicebus_topic" "whatsapp_forward_requested" {
  name                                    = "events-whatsapp_forward_requested"
  namespace_id                            = var.namespace_id
  requires_duplicate_detection            = true
  duplicate_detection_history_time_window = "PT10M"
  default_message_ttl                     = "P14D"
  support_ordering                        = true
  batched_operations_enabled              = true
}

resource "azurerm_servicebus_subscription" "whatsapp_forward_requested__message_service" {
  name                                 = "message-service"
  topic_id                             = azurerm_servicebus_topic.whatsapp_forward_requested.id
  requires_session                     = true
  max_delivery_count                   = 12
  lock_duration                        = "PT1M"
  default_message_ttl                  = "P14D"
  dead_lettering_on_message_expiration = true
  batched_operations_enabled           = true
}

# sumit_forward_requested: move-over: a SUMIT payment of a user the old app serves, committed with the payment row; message-service (the forwarder) posts it as it came to the old app
resource "azurerm_servicebus_topic" "sumit_forward_requested" {
  name                                    = "events-sumit_forward_requested"
  namespace_id                            = var.namespace_id
  requires_duplicate_detection            = true
  duplicate_detection_history_time_window = "PT10M"
  default_message_ttl                     = "P14D"
  support_ordering                        = true
  batched_operations_enabled              = true
}

resource "azurerm_servicebus_subscription" "sumit_forward_requested__message_service" {
  name                                 = "message-service"
  topic_id                             = azurerm_servicebus_topic.sumit_forward_requested.id
  requires_session                     = true
  max_delivery_count                   = 12
  lock_duration                        = "PT1M"
  default_message_ttl                  = "P14D"
  dead_lettering_on_message_expiration = true
  batched_operations_enabled           = true
}

# ops_ping: an operator's broker round trip (POST /ops/ping, pnpm validate): recorded in the consumer's inbox, no other effect
resource "azurerm_servicebus_topic" "ops_ping" {
  name                                    = "events-ops_ping"
  namespace_id                            = var.namespace_id
  requires_duplicate_detection            = true
  duplicate_detection_history_time_window = "PT10M"
  default_message_ttl                     = "P14D"
  support_ordering                        = false
  batched_operations_enabled              = true
}

resource "azurerm_servicebus_subscription" "ops_ping__message_service" {
  name                                 = "message-service"
  topic_id                             = azurerm_servicebus_topic.ops_ping.id
  requires_session                     = false
  max_delivery_count                   = 12
  lock_duration                        = "PT1M"
  default_message_ttl                  = "P14D"
  dead_lettering_on_message_expiration = true
  batched_operations_enabled           = true
}

output "topics" {
  description = "Topic name → resource ID"
  value = {
    "events-user_message_received"      = azurerm_servicebus_topic.user_message_received.id
    "events-image_processed"            = azurerm_servicebus_topic.image_processed.id
    "events-payment_received"           = azurerm_servicebus_topic.payment_received.id
    "events-training_requested"         = azurerm_servicebus_topic.training_requested.id
    "events-tune_created"               = azurerm_servicebus_topic.tune_created.id
    "events-images_generated"           = azurerm_servicebus_topic.images_generated.id
    "events-training_failed"            = azurerm_servicebus_topic.training_failed.id
    "events-pack_images_updated"        = azurerm_servicebus_topic.pack_images_updated.id
    "events-whatsapp_send_requested"    = azurerm_servicebus_topic.whatsapp_send_requested.id
    "events-user_data_erased"           = azurerm_servicebus_topic.user_data_erased.id
    "events-whatsapp_forward_requested" = azurerm_servicebus_topic.whatsapp_forward_requested.id
    "events-sumit_forward_requested"    = azurerm_servicebus_topic.sumit_forward_requested.id
    "events-ops_ping"                   = azurerm_servicebus_topic.ops_ping.id
  }
}

output "subscriptions" {
  description = "topic/subscription → resource ID"
  value = {
    "events-user_message_received/image-service"        = azurerm_servicebus_subscription.user_message_received__image_service.id
    "events-image_processed/message-service"            = azurerm_servicebus_subscription.image_processed__message_service.id
    "events-payment_received/message-service"           = azurerm_servicebus_subscription.payment_received__message_service.id
    "events-training_requested/image-service"           = azurerm_servicebus_subscription.training_requested__image_service.id
    "events-tune_created/message-service"               = azurerm_servicebus_subscription.tune_created__message_service.id
    "events-images_generated/message-service"           = azurerm_servicebus_subscription.images_generated__message_service.id
    "events-training_failed/message-service"            = azurerm_servicebus_subscription.training_failed__message_service.id
    "events-pack_images_updated/message-service"        = azurerm_servicebus_subscription.pack_images_updated__message_service.id
    "events-whatsapp_send_requested/message-service"    = azurerm_servicebus_subscription.whatsapp_send_requested__message_service.id
    "events-user_data_erased/image-service"             = azurerm_servicebus_subscription.user_data_erased__image_service.id
    "events-user_data_erased/payment-service"           = azurerm_servicebus_subscription.user_data_erased__payment_service.id
    "events-whatsapp_forward_requested/message-service" = azurerm_servicebus_subscription.whatsapp_forward_requested__message_service.id
    "events-sumit_forward_requested/message-service"    = azurerm_servicebus_subscription.sumit_forward_requested__message_service.id
    "events-ops_ping/message-service"                   = azurerm_servicebus_subscription.ops_ping__message_service.id
  }
}
