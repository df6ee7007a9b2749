"""The specialists registry: every team and practitioner a council commissions or is served
by. Managers add, change, retire and import entries and agree to share other councils'
teams; caseworkers read the list."""
