"""The DfE's SEN2 return (person level): the child's UPN, the return's mapping from the
platform's records, its validation, and its XML and CSV forms."""
