"""An evaluation with everything its documents need, in one place for the page, the
command and (later) the API."""

from __future__ import annotations

import datetime
import io
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import timezone

from shequ.checklist.queries import completeness_by_street, missing_items
from shequ.evaluation.anchor import chain_head_extra
from shequ.evaluation.chart_images import ChartImage, ranking_image, trend_image
from shequ.evaluation.charts import ranking_chart, trend_chart
from shequ.evaluation.evaluation import Evaluation
from shequ.evaluation.report import report_text
from shequ.evaluation.report_docx import write_docx
from shequ.evaluation.report_pdf import write_pdf
from shequ.evaluation.workbook import write_xlsx
from shequ.plans.documents import bureau_name
from shequ.regions.models import Region


@dataclass
class EvaluationDocuments:
    evaluation: Evaluation
    issuer: str
    # Checklist completeness by street code (share of the counted items present).
    completeness: dict = field(default_factory=dict)

    def docx(self, *, now: datetime.datetime | None = None) -> bytes:
        return write_docx(
            self.evaluation,
            self.completeness,
            self.issuer,
            now=now or timezone.now(),
            charts=self.chart_images(),
        )

    def pdf(self, *, now: datetime.datetime | None = None) -> bytes:
        return write_pdf(
            self.evaluation,
            self.completeness,
            self.issuer,
            now=now or timezone.now(),
            charts=self.chart_images(),
        )

    def chart_images(self) -> list[ChartImage]:
        """The trend and the ranking, as the report places them."""
        region = self.evaluation.region.name
        return [
            trend_image(f"{region}各期达标率与年度目标", trend_chart(self.evaluation)),
            ranking_image(
                f"{self.evaluation.year}年各街镇达标率排名", ranking_chart(self.evaluation)
            ),
        ]

    def xlsx(self) -> bytes:
        stream = io.BytesIO()
        write_xlsx(self.evaluation, self.completeness, self.issuer, stream)
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
    return EvaluationDocuments(evaluation, issuer or issuing_bureau(region), completeness)


def issuing_bureau(region: Region) -> str:
    """Who signs the report and is its author: the configured district's bureau
    (SHEQU_DISTRICT_NAME, the full name such as 重庆市北碚区) for the root, else the
    region's own."""
    name = settings.SHEQU_DISTRICT_NAME if region.parent_id is None else region.name
    return bureau_name(name)
