"""Requests made without an account, on the workspace's public form: a parent or carer, a young
person asking for themselves, or a school or college.

A request is kept (``public_requests``) with the day it was received, and its contact is sent a
link to confirm it; once confirmed (through the link, or by a caseworker who rang them) it is
taken in as any referral is (``referrals.taking_in``), dated the day it was received: an EHC
needs assessment request's clock runs from that day, however late it is confirmed. Until then
nothing reaches plans or specialists, so made-up requests take no specialist's place.

- ``rules``: pure: who may ask (a young person over compulsory school age and under 25), the
  contact's key for its daily limit, the events a request causes.
- ``schemas``: the bodies of the routes.
- ``store``: SQL.
- ``intake``: the routes anyone may call (``/v1/public``, limited per address).
- ``casework``: the caseworkers' list and their confirmation by phone.
"""
