"""Managers' reports: the timeliness of EHC plans (SEN2) with a chart, and the specialists'
capacity against demand."""
