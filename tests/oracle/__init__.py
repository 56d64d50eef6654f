"""Test assets that recompute what the product computes, independently of it (not shipped)."""
