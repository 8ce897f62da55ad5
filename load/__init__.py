"""`make load`: the deadline-day load test (run.py, locustfile.py; ADR 0016)."""
