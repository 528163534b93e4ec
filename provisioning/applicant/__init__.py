"""The applicant's pages (no staff account): request, tracking, what follows."""
