"""Live plans (issue #22): EHC plans already in force, brought in from a council's earlier
system, and what the law asks of each after its issue (the annual review)."""
