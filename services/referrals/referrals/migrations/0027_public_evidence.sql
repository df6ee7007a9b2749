-- Evidence uploaded on the public form (#20), before the request it goes with is sent: a
-- document of no referral yet, kept by the council the visitor chose (row-level security as
-- every document). The request names it when sent (public_request_id); once the request is
-- taken in as a referral (with the request's id), the document is the referral's. A document
-- never named by a request is erased by the retention job a day later (its bytes after).
ALTER TABLE documents ALTER COLUMN referral_id DROP NOT NULL;
ALTER TABLE documents ADD COLUMN public_request_id uuid REFERENCES public_requests (id);
ALTER TABLE documents ADD CONSTRAINT documents_of_a_referral_or_the_public_form
    CHECK (referral_id IS NOT NULL OR uploaded_by = 'public');
CREATE INDEX documents_of_public_requests ON documents (public_request_id)
    WHERE public_request_id IS NOT NULL;
CREATE INDEX documents_unclaimed ON documents (uploaded_at)
    WHERE referral_id IS NULL AND public_request_id IS NULL AND erased_at IS NULL;
