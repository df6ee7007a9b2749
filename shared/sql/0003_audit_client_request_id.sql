-- The audit trail's request_id is the server's own id of the request from now on (a UUID per
-- request, sent back in the response's X-Request-ID; shared/request_ids.py): before, it was
-- whatever the caller sent in X-Request-ID, so a caller could file its reads under another
-- request. What the caller sends is kept here, apart, and only when it looks like an id (the
-- same pattern as shared.request_ids.CLIENT_REQUEST_ID): never a name, a formula or a line
-- break. Rows written before this migration keep their request_id as it was recorded.

ALTER TABLE audit_log ADD COLUMN client_request_id text
    CONSTRAINT audit_log_client_request_id_is_an_id
    CHECK (client_request_id ~ '^[A-Za-z0-9][A-Za-z0-9._:/+=-]{0,127}$');
