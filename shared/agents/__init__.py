"""The agents: triage -> data -> optimization -> report, run by the execute supervisor."""
