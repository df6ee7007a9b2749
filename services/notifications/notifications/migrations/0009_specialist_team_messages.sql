-- A specialist team is told when a child is allocated to it (#20), at the team's own mailbox
-- from the specialists registry (audience 'team'): the address the event named, kept with the
-- message. A team's address, never a family's: erasure leaves it.
ALTER TABLE notifications ADD COLUMN team_email text;
