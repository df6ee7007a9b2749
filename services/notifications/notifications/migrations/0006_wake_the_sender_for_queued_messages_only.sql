-- The sender is woken (NOTIFY notifications_queued) when a message becomes queued, and only
-- then. The trigger of 0002 fired for every statement that could change a status, even one
-- that changed no row: the sender's own claim (an UPDATE ... SET status = 'sending', most
-- often of no row at all) woke the sender, which claimed again, and so on, forever. An idle
-- service spent about 40% of a core claiming nothing, and a busy one claimed far more often
-- than messages arrived. Now the notification is per queued row (PostgreSQL sends one per
-- channel and payload a transaction however many rows raise it).
DROP TRIGGER notifications_queued ON notifications;
CREATE TRIGGER notifications_queued AFTER INSERT OR UPDATE OF status ON notifications
    FOR EACH ROW WHEN (NEW.status = 'queued') EXECUTE FUNCTION notifications_queued();
