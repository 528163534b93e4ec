"""The auditor's pages: searching the audit log and downloading signed exports."""
