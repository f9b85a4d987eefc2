"""A2I's facts and the logic every part of the package shares.

Standard library only: no ``aws_cdk``, no ``boto3``. The constructs validate their props with
these modules, the Lambda functions (which ship this package inside their assets) run them, and
the ``a2i`` command uses them, so a construct accepts a setting exactly when its Lambda does.

One fact, one module:

* :mod:`~constructs_a2i.core.errors`: :class:`A2IValidationError`, the error every check raises;
* :mod:`~constructs_a2i.core.limits`: the API's lengths, ranges, enums and their checks;
* :mod:`~constructs_a2i.core.names`: the resource-name rule and names generated from paths;
* :mod:`~constructs_a2i.core.loop_names`: idempotent human-loop names from an input's identity;
* :mod:`~constructs_a2i.core.paths`: the message-path grammar (``$.a.b``, ``items[0].id``);
* :mod:`~constructs_a2i.core.activation`: when a message starts a loop (parse, check, evaluate);
* :mod:`~constructs_a2i.core.strict_json`: JSON as A2I accepts it (no NaN or Infinity);
* :mod:`~constructs_a2i.core.untrusted_json`: JSON from outside: nesting bounded on the way in,
  text SQS and UTF-8 accept on the way out;
* :mod:`~constructs_a2i.core.output_json`: how an A2I ``output.json`` is read;
* :mod:`~constructs_a2i.core.managed_answers`: Textract and Rekognition answers as items a
  person can read (:mod:`~constructs_a2i.core.textract_forms`,
  :mod:`~constructs_a2i.core.moderation_labels`);
* :mod:`~constructs_a2i.core.retry`: which errors are transient, and the backoff;
* :mod:`~constructs_a2i.core.s3_uri`: S3 object URIs and URLs;
* :mod:`~constructs_a2i.core.statuses`: flow-definition and human-loop statuses;
* :mod:`~constructs_a2i.core.arns`: A2I's ARN shapes;
* :mod:`~constructs_a2i.core.json_log`: the one-line JSON log record the functions print;
* :mod:`~constructs_a2i.core.metrics`: the package's CloudWatch metrics (namespace
  ``ConstructsA2I``) and the Embedded Metric Format records the functions print.
"""

__all__: list[str] = []
