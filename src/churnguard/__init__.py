"""churnguard: a churn-recovery agent for customer-success teams."""

__version__ = "0.1.0"
