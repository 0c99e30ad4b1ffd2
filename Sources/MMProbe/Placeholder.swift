// Placeholder; replaced by the flush oracle.
