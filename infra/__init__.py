"""Deployment manifest, local stack and deploy tooling for the Tokenwise bundle."""
