"""Contracts: the signed PPP contracts, their amendments, risks and fiscal commitments."""
