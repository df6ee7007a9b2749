-- A table the test consumers write their effects into.
CREATE TABLE effects (
    id          bigserial PRIMARY KEY,
    referral_id uuid NOT NULL,
    event_id    uuid NOT NULL,
    sequence    int  NOT NULL
);
