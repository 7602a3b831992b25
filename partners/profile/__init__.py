"""The partner page and its scorecard, assembled from every sub-domain."""
