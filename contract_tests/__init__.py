"""The contract suite: Schemathesis checks that the server (or the mock, or a deployment) keeps the spec."""
