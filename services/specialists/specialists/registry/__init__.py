"""The registry of teams and practitioners: an entry as managers write it (``entry``), stored
with the councils' agreements to be served by it (``store``, ``sharing``), as CSV
(``csv_format``, ``importing``), and their routes (``api``, ``csv_api``, ``sharing_api``)."""
