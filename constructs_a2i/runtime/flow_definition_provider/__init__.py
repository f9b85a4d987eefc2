"""The CloudFormation custom-resource handler for A2I flow definitions (``index``)."""
