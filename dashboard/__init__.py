"""The AshiSense dashboard: live view and controls, session review, in the browser.

Build it with `dashboard.app.create_app(DashboardSettings(...))`; see docs/dashboard.md.
"""
