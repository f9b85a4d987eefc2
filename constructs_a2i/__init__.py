"""AWS CDK v2 constructs for Amazon Augmented AI (A2I) human review workflows.

::

    from constructs_a2i import FlowDefinition, HumanTaskUi, TaskTemplate, Workteam
"""

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
    "Workteam",
]
