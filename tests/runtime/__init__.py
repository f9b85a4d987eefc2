"""Tests of the Lambda runtime code (starter and results handlers)."""
