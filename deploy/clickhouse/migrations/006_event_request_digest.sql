-- The digest of the request that made each event (envelope field `requestDigest`, what makes an eventId an
-- idempotency key): kept with the envelope, so an audit can tell a retry from another request. NULL on events written
-- before the field existed and on events the server made itself.

ALTER TABLE {{database}}.events ADD COLUMN IF NOT EXISTS request_digest Nullable(String);
