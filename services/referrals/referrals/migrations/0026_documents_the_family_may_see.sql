-- Documents the family may see through their link (#20): the council's letters to them and
-- what they sent themselves (the public form's uploads). Whoever stores a document says so;
-- letters stored before this change are the family's to read.
ALTER TABLE documents ADD COLUMN family_may_see boolean NOT NULL DEFAULT false;
UPDATE documents SET family_may_see = true WHERE kind = 'letter';
