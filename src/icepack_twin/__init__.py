"""A local, runnable stand-in for one Icepack environment.

The twin never imports the suite (icepack_verify); they meet only over HTTP, the
Kubernetes API and PostgreSQL, exactly as the suite meets a real environment.
"""
