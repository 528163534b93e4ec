"""The person: who a CURP is, and what they own (requests, directory accounts, history)."""
