"""The workflow layer: what one user action does across the domain apps, in one
transaction. The ledger's transitions only lock, check, seal and audit; here they are run
with what follows from them elsewhere (the dashboards' tallies, the community plans).

Layers, top to bottom (ADR 0026, enforced by import-linter in `make test`):
web / api / management → workflow → evaluation → subsidy, checklist, assets → plans →
compliance → ledger → accounts → regions → core.
"""
