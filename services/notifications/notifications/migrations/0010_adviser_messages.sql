-- Advisers' messages (#20, Reg 6): advice asked of several professionals at once is one event
-- and one message each, to each adviser's address, with a link of their own. `recipient` says
-- which of an audience a message is for (an adviser's kind of advice; '' for the family and
-- the SEND team, who get one message an event as before).
ALTER TABLE notifications ADD COLUMN recipient text NOT NULL DEFAULT '';
ALTER TABLE notifications DROP CONSTRAINT one_message_per_event_and_audience;
ALTER TABLE notifications
    ADD CONSTRAINT one_message_per_event_and_recipient UNIQUE (about_event_id, audience, recipient);
