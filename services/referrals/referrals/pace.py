"""How long a referral refused for want of room is told to wait (``Retry-After``): as long as
the intake's own pace says its turn will take, not one second whatever the load (issue #25).

Every refused client that honours ``Retry-After: 1`` comes back a second later: at 300
referrals a second offered the retries grew to thousands of requests a second (195,734 answers
503 to 8,533 referrals in one bench run), more than the process could even refuse, and most
of them then had no answer at all. Told instead how many seconds the last second's pace needs
to take in those refused (refused / taken in, at least 1, at most ``most_s``), the clients
spread their retries over that time, and what comes back is what the process can answer. Each
is told a whole number of seconds drawn evenly from 1 to that wait: told all the same, a
burst's clients came back together, a wave the process refused but for a few, and it idled
until the next (the integration test of the intake's overload took in a few referrals every
nine seconds). A burst of a few caseworkers' requests (a few refused beside many taken in) is
still told one second.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable


class IntakePace:
    """Referrals taken in and refused in the current second and the last whole one."""

    def __init__(
        self,
        most_s: int,
        clock: Callable[[], float] = time.monotonic,
        draw: random.Random | None = None,
    ) -> None:
        self.most_s = most_s
        self.clock = clock
        self.draw = draw or random.Random()  # noqa: S311  # spreading retries, not a secret
        self.second = int(clock())
        self.taken = self.refused = 0
        self.last: tuple[int, int] = (0, 0)
        """(taken in, refused) in the last whole second."""

    def _now(self) -> None:
        second = int(self.clock())
        if second != self.second:
            # A second with nothing in it between: the last whole second was empty.
            self.last = (self.taken, self.refused) if second == self.second + 1 else (0, 0)
            self.second, self.taken, self.refused = second, 0, 0

    def took(self) -> None:
        """A referral given a slot."""
        self._now()
        self.taken += 1

    def wait_s(self) -> int:
        """The longest a referral refused now is told to wait: the last second's refused over
        its taken in, 1 to ``most_s``."""
        taken, refused = self.last
        return min(self.most_s, max(1, math.ceil(refused / max(1, taken))))

    def refuse(self) -> int:
        """A referral refused: the seconds it is told to wait, drawn from 1 to ``wait_s``."""
        self._now()
        self.refused += 1
        return self.draw.randint(1, self.wait_s())
