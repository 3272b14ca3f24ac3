-- Intake's throttle read in the statement that takes the address's lock (reserveRequest): takes the transaction-level
-- advisory lock of an address's automatic mail, then returns when automatic mail went to the address after `p_since`
-- (newest first). VOLATILE, so the read inside runs with a snapshot of its own taken after the lock was granted: it
-- sees every answer committed by the transaction that held the lock before, as a separate statement after the lock would.
CREATE OR REPLACE FUNCTION "deskbot_lock_auto_mail"(p_key bigint, p_address text, p_since timestamptz)
RETURNS timestamptz[]
LANGUAGE plpgsql VOLATILE
AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(p_key);
  RETURN ARRAY(SELECT l."sentAt" FROM "AutoMailLog" AS l WHERE l."address" = p_address AND l."sentAt" > p_since ORDER BY l."sentAt" DESC);
END
$$;
