/**
 * The log's consumer group that projects into this store (named after the store's identity, so two stores on
 * one log project independently). The projector consumes as this group; the gateway and /healthz read the
 * projection's lag from its committed positions. A token of its own, so no service imports another's config.
 */
export const PROJECTION_GROUP_ID = Symbol('PROJECTION_GROUP_ID');
