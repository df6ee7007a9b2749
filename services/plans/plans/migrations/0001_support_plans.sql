-- Personal support plans (EHC plan sections A-K, drafted ones filled in).

CREATE TABLE support_plans (
    id              uuid PRIMARY KEY,
    referral_id     uuid NOT NULL UNIQUE,
    local_authority text NOT NULL,
    primary_need    text NOT NULL,
    area_of_need    text NOT NULL,
    specialism      text NOT NULL,
    status          text NOT NULL,               -- draft, issued_for_comment, final
    sections        jsonb NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now()
);
