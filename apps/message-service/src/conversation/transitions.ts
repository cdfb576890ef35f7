/**
 * What a turn did, by name: the `transition` label of `conversation_transitions_total` and of the
 * engine's result. Steps are those of docs/product-flow.md.
 */
export type Transition =
  | 'noop'
  // any state
  | 'ignored' // step 15: reactions, system notices
  | 'unsupported' // step 15: first unsupported message
  | 'unsupported_repeat'
  | 'expired_option' // step 16: a stale or unknown button
  | 'welcome' // step 1
  | 'menu' // steps 12, 16: the current menu again
  | 'language_switched' // step 13
  | 'support' // step 14
  | 'how_it_works'
  | 'erase_asked' // "Delete my data" (menu entry or words): the confirmation buttons
  | 'erase_cancelled'
  | 'data_erased' // confirmed: the turn's adapter erases the user's data
  | 'erased_user_event' // a domain event about data the user had erased: ignored
  // collecting_photos / choosing_pack
  | 'guidelines' // step 2
  | 'ready_for_photos' // step 3
  | 'photo_examples'
  | 'photo_received' // step 4
  | 'photo_ignored'
  | 'photo_duplicate'
  | 'photo_rejected'
  | 'photo_accepted'
  | 'photos_complete' // step 4: the N-th accepted photo
  | 'more_photos'
  | 'not_enough_photos' // step 5
  | 'choose_tier' // step 5
  | 'restart'
  | 'tier_chosen' // step 6
  | 'pack_chosen' // step 7
  | 'pack_examples' // step 6
  | 'payment_link' // step 8
  // payment and training
  | 'payment_duplicate'
  | 'payment_credited' // step 9
  | 'training_requested' // step 9
  | 'tune_created'
  | 'tune_created_unmatched'
  | 'training_failed'
  | 'training_failed_after_delivery'
  // has_model / writing_feedback
  | 'images_delivered' // step 10
  | 'images_duplicate'
  | 'rated_high' // step 11
  | 'rated_low' // step 11
  | 'feedback_written' // step 11
  | 'list_models' // step 12
  | 'model_reused' // step 12
  | 'new_model'; // step 12
