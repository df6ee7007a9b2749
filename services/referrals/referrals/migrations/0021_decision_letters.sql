-- Each decision's letter to the family (#21) is a document of kind 'letter' with the decision it
-- sets out; letters a caseworker uploads have none. The family's link opens only these.
ALTER TABLE documents ADD COLUMN letter_kind text;
CREATE INDEX documents_letters ON documents (referral_id, uploaded_at) WHERE letter_kind IS NOT NULL;
