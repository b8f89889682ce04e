"""Shared machinery: clock, working-day calendar, @operation (one transaction per intent), domain
errors and their pages, database behaviour, security headers, web helpers, OpenAPI, drawing."""
