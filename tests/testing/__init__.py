"""Tests of constructs_a2i.testing: the local A2I and SageMaker fake."""
