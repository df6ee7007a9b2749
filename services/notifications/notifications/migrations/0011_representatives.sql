-- A young person who lacks mental capacity is represented (Children and Families Act 2014
-- s80): their representative's contact replaces the family's, and the messages speak of the
-- young person rather than to them.
ALTER TABLE family_contacts ADD COLUMN representative boolean NOT NULL DEFAULT false;
