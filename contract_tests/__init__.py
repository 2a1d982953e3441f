"""The contract suite: Schemathesis proves the server, the mock or a deployment keep the spec."""
