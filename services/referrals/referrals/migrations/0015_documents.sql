-- The document store (#20): evidence, advice, letters and reports, part of a child's record
-- and so the referrals service's. `documents` holds what is known about each (never read by
-- another service); its bytes are in `document_contents` with the PostgreSQL store (the
-- default) or in a bucket with the S3 store (DOCUMENT_STORE). A document's bytes are stored
-- before its row commits and removed after the row is erased (nothing in a transaction calls
-- a bucket): `content_removed_at` says when they went.

CREATE TABLE documents (
    id                 uuid PRIMARY KEY,
    referral_id        uuid NOT NULL REFERENCES referrals (id),
    local_authority    text NOT NULL,
    kind               text NOT NULL CHECK (kind IN ('evidence', 'advice', 'letter', 'report')),
    advice_kind        text,                  -- advice: which (educational_psychology ...)
    filename           text NOT NULL,         -- as sent; 'erased' once the child's are
    media_type         text NOT NULL,         -- by content (application/pdf ...)
    size_bytes         integer NOT NULL CHECK (size_bytes BETWEEN 1 AND 20971520),
    sha256             text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    uploaded_by        text NOT NULL,         -- a subject, or adviser-link:<link id>
    uploaded_at        timestamptz NOT NULL DEFAULT now(),
    erased_at          timestamptz,
    content_removed_at timestamptz
);
CREATE INDEX documents_by_referral ON documents (referral_id, uploaded_at);
-- The same file sent twice for one referral (a retried upload) is one document.
CREATE UNIQUE INDEX documents_once ON documents (referral_id, kind, sha256) WHERE erased_at IS NULL;
CREATE INDEX documents_to_remove ON documents (erased_at)
    WHERE erased_at IS NOT NULL AND content_removed_at IS NULL;

CREATE TABLE document_contents (
    document_id     uuid PRIMARY KEY,
    local_authority text NOT NULL,
    content         bytea NOT NULL CHECK (octet_length(content) BETWEEN 1 AND 20971520)
);
-- Bytes that are already compressed (PDF, DOCX, JPEG, PNG): not compressed again, kept out of line.
ALTER TABLE document_contents ALTER COLUMN content SET STORAGE EXTERNAL;

ALTER TABLE documents ENABLE ROW LEVEL SECURITY;
ALTER TABLE documents FORCE ROW LEVEL SECURITY;
CREATE POLICY council ON documents
    USING (acting_for(local_authority)) WITH CHECK (acting_for(local_authority));
ALTER TABLE document_contents ENABLE ROW LEVEL SECURITY;
ALTER TABLE document_contents FORCE ROW LEVEL SECURITY;
CREATE POLICY council ON document_contents
    USING (acting_for(local_authority)) WITH CHECK (acting_for(local_authority));
