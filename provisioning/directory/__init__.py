"""Everything that talks to Active Directory, and the pure naming policy behind account names."""
