"""The demo's targets are the notice's (compliance.notice), set the same way as a new
deployment's `shequ first-run` sets them."""

from shequ.compliance.notice import NOTICE_STANDARD, NOTICE_TARGETS, notice_targets_create

__all__ = ["NOTICE_STANDARD", "NOTICE_TARGETS", "demo_targets_create"]

demo_targets_create = notice_targets_create
