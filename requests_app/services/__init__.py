"""Writes of requests_app: filing, the workflow's transitions, documents, payments, feedback.

Views, the API, admin actions, tasks and commands all call these functions; nothing else
changes a request's status.
"""
