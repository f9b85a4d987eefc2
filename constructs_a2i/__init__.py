"""AWS CDK v2 constructs for Amazon Augmented AI (A2I) human review workflows.

::

    from constructs_a2i import FlowDefinition, HumanTaskUi, TaskTemplate, Workteam

Names are imported on first use (PEP 562), so ``constructs_a2i.testing``,
``constructs_a2i.templates``, ``constructs_a2i.core`` and the ``a2i`` command do not load
aws_cdk and start a jsii kernel unless they need a construct.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from constructs_a2i._lazy import lazy_exports

__version__ = "0.1.0"
"""This release's version (the one place it is written; pyproject.toml reads it)."""

if TYPE_CHECKING:
    from constructs_a2i.activation_conditions import (
        ActivationConditions,
        And,
        Condition,
        Confidence,
        ImportantFormKeyConfidenceCheck,
        MissingImportantFormKey,
        ModerationLabelConfidenceCheck,
        Or,
        Sampling,
    )
    from constructs_a2i.core.activation import Activation
    from constructs_a2i.core.arns import PUBLIC_CROWD_ACCOUNT
    from constructs_a2i.core.errors import A2IValidationError
    from constructs_a2i.core.limits import (
        ACTIVATION_CONDITIONS_MAX_LENGTH,
        CONTENT_CLASSIFIERS,
        TEMPLATE_MAX_LENGTH,
    )
    from constructs_a2i.core.request_sources import RequestSource
    from constructs_a2i.flow_definition import (
        DEFAULT_OUTPUT_PREFIX,
        HUMAN_LOOP_EVENT_SOURCE,
        HUMAN_LOOP_FINAL_STATUSES,
        HUMAN_LOOP_STATUS_CHANGE,
        FlowDefinition,
        FlowDefinitionBase,
        IFlowDefinition,
    )
    from constructs_a2i.flow_definition_provider import (
        FLOW_DEFINITION_RESOURCE_TYPE,
        FlowDefinitionProvider,
    )
    from constructs_a2i.human_loop_results import HumanLoopResults
    from constructs_a2i.human_loop_starter import HumanLoopStarter, StarterSource
    from constructs_a2i.human_task_ui import HumanTaskUi, IHumanTaskUi
    from constructs_a2i.input_bucket import InputBucket
    from constructs_a2i.loop_metrics import loop_metric
    from constructs_a2i.private_workteam import PrivateWorkteam
    from constructs_a2i.review_monitoring import ReviewMonitoring
    from constructs_a2i.task_price import (
        CUSTOM_TASK_PRICES,
        REKOGNITION_MODERATION_TASK_PRICES,
        TEXTRACT_FORMS_TASK_PRICES,
        TaskPrice,
    )
    from constructs_a2i.templates.task_template import TaskTemplate, TaskTemplateError
    from constructs_a2i.workteam import IWorkteam, Workteam

# Which module defines each public name.
_EXPORTS: dict[str, tuple[str, ...]] = {
    "constructs_a2i.activation_conditions": (
        "ActivationConditions",
        "And",
        "Condition",
        "Confidence",
        "ImportantFormKeyConfidenceCheck",
        "MissingImportantFormKey",
        "ModerationLabelConfidenceCheck",
        "Or",
        "Sampling",
    ),
    "constructs_a2i.core.activation": ("Activation",),
    "constructs_a2i.core.arns": ("PUBLIC_CROWD_ACCOUNT",),
    "constructs_a2i.core.errors": ("A2IValidationError",),
    "constructs_a2i.core.limits": (
        "ACTIVATION_CONDITIONS_MAX_LENGTH",
        "CONTENT_CLASSIFIERS",
        "TEMPLATE_MAX_LENGTH",
    ),
    "constructs_a2i.core.request_sources": ("RequestSource",),
    "constructs_a2i.flow_definition": (
        "DEFAULT_OUTPUT_PREFIX",
        "FlowDefinition",
        "FlowDefinitionBase",
        "HUMAN_LOOP_EVENT_SOURCE",
        "HUMAN_LOOP_FINAL_STATUSES",
        "HUMAN_LOOP_STATUS_CHANGE",
        "IFlowDefinition",
    ),
    "constructs_a2i.flow_definition_provider": (
        "FLOW_DEFINITION_RESOURCE_TYPE",
        "FlowDefinitionProvider",
    ),
    "constructs_a2i.human_loop_results": ("HumanLoopResults",),
    "constructs_a2i.human_loop_starter": ("HumanLoopStarter", "StarterSource"),
    "constructs_a2i.human_task_ui": ("HumanTaskUi", "IHumanTaskUi"),
    "constructs_a2i.input_bucket": ("InputBucket",),
    "constructs_a2i.private_workteam": ("PrivateWorkteam",),
    "constructs_a2i.loop_metrics": ("loop_metric",),
    "constructs_a2i.review_monitoring": ("ReviewMonitoring",),
    "constructs_a2i.task_price": (
        "CUSTOM_TASK_PRICES",
        "REKOGNITION_MODERATION_TASK_PRICES",
        "TEXTRACT_FORMS_TASK_PRICES",
        "TaskPrice",
    ),
    "constructs_a2i.templates.task_template": ("TaskTemplate", "TaskTemplateError"),
    "constructs_a2i.workteam": ("IWorkteam", "Workteam"),
}

__all__ = [
    "ACTIVATION_CONDITIONS_MAX_LENGTH",
    "CONTENT_CLASSIFIERS",
    "CUSTOM_TASK_PRICES",
    "DEFAULT_OUTPUT_PREFIX",
    "FLOW_DEFINITION_RESOURCE_TYPE",
    "HUMAN_LOOP_EVENT_SOURCE",
    "HUMAN_LOOP_FINAL_STATUSES",
    "HUMAN_LOOP_STATUS_CHANGE",
    "PUBLIC_CROWD_ACCOUNT",
    "REKOGNITION_MODERATION_TASK_PRICES",
    "TEMPLATE_MAX_LENGTH",
    "TEXTRACT_FORMS_TASK_PRICES",
    "A2IValidationError",
    "Activation",
    "ActivationConditions",
    "And",
    "Condition",
    "Confidence",
    "FlowDefinition",
    "FlowDefinitionBase",
    "FlowDefinitionProvider",
    "HumanLoopResults",
    "HumanLoopStarter",
    "HumanTaskUi",
    "IFlowDefinition",
    "IHumanTaskUi",
    "IWorkteam",
    "ImportantFormKeyConfidenceCheck",
    "InputBucket",
    "MissingImportantFormKey",
    "ModerationLabelConfidenceCheck",
    "Or",
    "PrivateWorkteam",
    "RequestSource",
    "ReviewMonitoring",
    "Sampling",
    "StarterSource",
    "TaskPrice",
    "TaskTemplate",
    "TaskTemplateError",
    "Workteam",
    "loop_metric",
]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
