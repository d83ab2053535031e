"""The command-line face of churnguard."""
