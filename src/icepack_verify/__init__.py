"""icepack-verify: post-deploy verification and contract tests for Icepack environments."""
