"""Agents (话务员) and their place in the queues, which the CRM owns and applies through AMI."""
