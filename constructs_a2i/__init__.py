"""AWS CDK v2 constructs for Amazon Augmented AI (A2I) human review workflows.

::

    from constructs_a2i import FlowDefinition, HumanTaskUi, TaskTemplate, Workteam

Names are imported on first use (PEP 562), so ``constructs_a2i.testing``,
``constructs_a2i.template_check`` and the ``a2i`` command do not load aws_cdk and start
a jsii kernel unless they need a construct.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from constructs_a2i.activation_conditions import (
        ACTIVATION_CONDITIONS_MAX_LENGTH,
        ActivationConditions,
        And,
        Condition,
        Confidence,
        ImportantFormKeyConfidenceCheck,
        MissingImportantFormKey,
        ModerationLabelConfidenceCheck,
        Or,
        RequestSource,
        Sampling,
    )
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
    from constructs_a2i.human_loop_starter import (
        CONTENT_CLASSIFIERS,
        Activation,
        HumanLoopStarter,
        StarterSource,
    )
    from constructs_a2i.human_task_ui import (
        TEMPLATE_MAX_LENGTH,
        HumanTaskUi,
        IHumanTaskUi,
        TaskTemplate,
        TaskTemplateError,
    )
    from constructs_a2i.input_bucket import InputBucket
    from constructs_a2i.private_workteam import PrivateWorkteam
    from constructs_a2i.task_price import (
        CUSTOM_TASK_PRICES,
        REKOGNITION_MODERATION_TASK_PRICES,
        TEXTRACT_FORMS_TASK_PRICES,
        TaskPrice,
    )
    from constructs_a2i.validation import A2IValidationError
    from constructs_a2i.workteam import PUBLIC_CROWD_ACCOUNT, IWorkteam, Workteam

# Which module defines each public name.
_EXPORTS: dict[str, tuple[str, ...]] = {
    "constructs_a2i.activation_conditions": (
        "ACTIVATION_CONDITIONS_MAX_LENGTH",
        "ActivationConditions",
        "And",
        "Condition",
        "Confidence",
        "ImportantFormKeyConfidenceCheck",
        "MissingImportantFormKey",
        "ModerationLabelConfidenceCheck",
        "Or",
        "RequestSource",
        "Sampling",
    ),
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
    "constructs_a2i.human_loop_starter": (
        "Activation",
        "CONTENT_CLASSIFIERS",
        "HumanLoopStarter",
        "StarterSource",
    ),
    "constructs_a2i.human_task_ui": (
        "HumanTaskUi",
        "IHumanTaskUi",
        "TEMPLATE_MAX_LENGTH",
        "TaskTemplate",
        "TaskTemplateError",
    ),
    "constructs_a2i.input_bucket": ("InputBucket",),
    "constructs_a2i.private_workteam": ("PrivateWorkteam",),
    "constructs_a2i.task_price": (
        "CUSTOM_TASK_PRICES",
        "REKOGNITION_MODERATION_TASK_PRICES",
        "TEXTRACT_FORMS_TASK_PRICES",
        "TaskPrice",
    ),
    "constructs_a2i.validation": ("A2IValidationError",),
    "constructs_a2i.workteam": ("IWorkteam", "PUBLIC_CROWD_ACCOUNT", "Workteam"),
}
_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names}

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
    "Sampling",
    "StarterSource",
    "TaskPrice",
    "TaskTemplate",
    "TaskTemplateError",
    "Workteam",
]


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
