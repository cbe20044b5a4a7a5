-- 006_active_index.sql - finding a customer's active thread of a channel (every inbound SMS and
-- e-mail asks) in one seek: an index over active conversations only, so it stays small and
-- costs nothing for the completed majority.

CREATE INDEX conv_active_thread ON conversations(customer_id, channel, last_activity_at)
    WHERE status = 'active';
