"""An evaluation with everything its documents need, in one place for the page, the
command and (later) the API."""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from shequ.checklist.queries import completeness_by_street, missing_items
from shequ.evaluation.anchor import chain_head_extra
from shequ.evaluation.evaluation import Evaluation
from shequ.evaluation.report import report_text, write_docx, write_xlsx
from shequ.regions.models import Region


@dataclass
class EvaluationDocuments:
    evaluation: Evaluation
    issuer: str
    # Checklist completeness by street code (share of the counted items present).
    completeness: dict = field(default_factory=dict)

    def docx(self) -> bytes:
        return write_docx(self.evaluation, self.completeness, self.issuer)

    def xlsx(self) -> bytes:
        stream = io.BytesIO()
        write_xlsx(self.evaluation, self.completeness, stream)
        return stream.getvalue()

    def as_json(self) -> dict:
        document = self.evaluation.as_json()
        for row in document["streets"] + [document["total"]]:
            share = self.completeness.get(row["code"])
            row["checklist_completeness"] = None if share is None else float(share)
        text = report_text(self.evaluation)
        document["report"] = {
            "overall": text.overall,
            "streets": text.streets,
            "problems": text.problems,
            "next_steps": text.next_steps,
        }
        return document


def evaluation_documents(evaluation: Evaluation, issuer: str | None = None) -> EvaluationDocuments:
    """The evaluation with the service-centre checklist's completeness per street and the
    items most often missing (the report names them)."""
    region = evaluation.region
    by_street = completeness_by_street(region)
    codes = dict(Region.objects.filter(pk__in=by_street).values_list("pk", "code"))
    completeness = {codes[pk]: item.share for pk, item in by_street.items()}
    present = sum((item.share or 0) * item.communities for item in by_street.values() if item.share)
    communities = sum(item.communities for item in by_street.values())
    completeness[region.code] = present / communities if communities else None
    evaluation.extras["missing_items"] = missing_items(region, limit=5)
    evaluation.extras.update(chain_head_extra())
    return EvaluationDocuments(evaluation, issuer or f"{region.name}民政局", completeness)
