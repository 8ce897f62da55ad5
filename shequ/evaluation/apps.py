from django.apps import AppConfig


class EvaluationConfig(AppConfig):
    name = "shequ.evaluation"
    label = "evaluation"
    verbose_name = "年度评估"
