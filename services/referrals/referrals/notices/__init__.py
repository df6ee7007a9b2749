"""The statutory notices (Regs 4(2), 5, 10, 13, 32): each decision's letter to the family, kept
in the document store, and the others the council tells."""
